package org.shadowref.shadow.optimized;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.shadowref.check.trace.Scenario;
import org.shadowref.check.trace.ScenarioReader;
import org.shadowref.emulate.SdmExecutor;
import org.shadowref.emulate.X86Emulator;
import org.shadowref.shadow.GuestOp;
import org.shadowref.shadow.core.SeededBug;

/**
 * Xen's fast emulation (issue 21 §3): it acts where the guest writes a page table twice through
 * one page, only when switched on, and each way of keeping a remembered translation too long
 * (past a store to a table its walk read, past a CR3 switch) sends a store where native does not.
 */
class FastEmulationTest {
  private static final SdmExecutor CPU = new SdmExecutor();
  private static final X86Emulator EMULATOR = new X86Emulator();

  @Test
  void theExampleEmulatesAtOnceOnlyWhenSwitchedOn() throws Exception {
    Scenario scenario = ScenarioReader.read(Path.of("examples", "31-fast-emulation.yaml"));
    OptimizedEngine with = run(scenario, OptimizedConfig.DEFAULT);
    OptimizedEngine without = run(scenario, OptimizedConfig.DEFAULT.toBuilder().fastEmulation(false).build());
    assertEquals(2, with.counters().fastEmulations(),
        "the second store through the window in each of its lives; not the first after vCPU 1's store, nor after the CR3 switch");
    assertEquals(0, without.counters().fastEmulations(), "switched off, it never acts");
    assertTrue(with.counters().handlerRuns() == without.counters().handlerRuns(),
        "fast emulation answers inside the handler: as many runs either way");
  }

  @Test
  void aTranslationKeptPastAStoreToItsTableWritesWhereNativeDoesNot() throws Exception {
    Scenario scenario = ScenarioReader.read(Path.of("examples", "31-fast-emulation.yaml"));
    assertFirstDivergence(scenario, SeededBug.FAST_EMULATION_MISSES_TABLE_WRITE, 6, "0x23010");
  }

  @Test
  void aTranslationKeptPastACr3SwitchWritesWhereNativeDoesNot() throws Exception {
    Scenario scenario = ScenarioReader.read(Path.of("examples", "31-fast-emulation.yaml"));
    assertFirstDivergence(scenario, SeededBug.FAST_EMULATION_IGNORES_CR3, 12, "0x22008");
  }

  /**
   * {@code scenario} with {@code bug}: the engine without it equals native and keeps every
   * invariant, and also emulates at once; the buggy one first differs at step {@code step}, writing
   * {@code where}.
   */
  private static void assertFirstDivergence(Scenario scenario, SeededBug bug, int step, String where) {
    ExampleDivergence divergence = ExampleDivergence.of(scenario, bug);
    assertEquals(step, divergence.step(), bug + " diverges first at step " + step);
    assertTrue(String.valueOf(divergence.result()).contains(where), bug + " at step " + step + ": " + divergence.result());
    assertTrue(run(scenario, OptimizedConfig.DEFAULT).counters().fastEmulations() >= 1,
        "the correct engine emulated at once too");
  }

  private static OptimizedEngine run(Scenario scenario, OptimizedConfig config) {
    OptimizedEngine engine = new OptimizedEngine(scenario.world().build(), config, CPU, EMULATOR);
    for (GuestOp op : scenario.ops()) {
      engine.apply(op);
    }
    return engine;
  }
}
