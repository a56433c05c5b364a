package org.shadowref.shadow.optimized;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.shadowref.check.invariants.InvariantRegistry;
import org.shadowref.check.trace.Scenario;
import org.shadowref.check.trace.ScenarioReader;
import org.shadowref.emulate.SdmExecutor;
import org.shadowref.emulate.X86Emulator;
import org.shadowref.shadow.GuestOp;
import org.shadowref.shadow.core.SeededBug;

/**
 * Xen's extra emulation for PAE guests (issue 21 §3): on example 34 it emulates the second half of
 * each entry a block writes in two stores, only when switched on and only for a PAE guest, and
 * each of its seeded bugs makes the guest see something native does not.
 */
class SecondHalfTest {
  private static final SdmExecutor CPU = new SdmExecutor();
  private static final X86Emulator EMULATOR = new X86Emulator();
  private static final Path EXAMPLE = Path.of("examples", "34-pae-second-half.yaml");

  @Test
  void theExampleEmulatesTheSecondHalvesOnlyWhenSwitchedOn() throws Exception {
    Scenario scenario = ScenarioReader.read(EXAMPLE);
    OptimizedEngine with = run(scenario, OptimizedConfig.DEFAULT);
    OptimizedEngine without = run(scenario, OptimizedConfig.DEFAULT.toBuilder().emulateSecondHalf(false).build());
    assertEquals(3, with.counters().emulatedAhead(),
        "the low half of the first block; the pointer step and the high half of the second; not the third's faulting store");
    assertEquals(0, without.counters().emulatedAhead(), "switched off, it never acts");
    assertEquals(2, without.counters().handlerRuns() - with.counters().handlerRuns(),
        "each of the first two blocks traps once instead of twice");
  }

  @Test
  void aGuestThatIsNotPaeRunsItsBlocksOnTheCpu() throws Exception {
    Scenario scenario = ScenarioReader.read(Path.of("examples", "18-pae-cmpxchg8b.yaml"));
    OptimizedEngine engine = run(scenario, OptimizedConfig.DEFAULT);
    assertEquals(0, engine.counters().emulatedAhead(), "a one-instruction block has nothing after its store");
  }

  @Test
  void registersLeftByTheFirstInstructionAreThoseTheNextUses() throws Exception {
    assertFirstDivergence(SeededBug.SECOND_HALF_STALE_REGISTERS, 4);
  }

  @Test
  void aFollowingInstructionThatFaultsIsLeftToTheGuest() throws Exception {
    assertFirstDivergence(SeededBug.SECOND_HALF_SKIPS_STOPPED_INSTRUCTION, 5);
  }

  @Test
  void theSecondHalfIsRevalidated() throws Exception {
    Scenario scenario = ScenarioReader.read(EXAMPLE);
    OptimizedEngine buggy = new OptimizedEngine(
        scenario.world().build(), OptimizedConfig.DEFAULT.withBug(SeededBug.SECOND_HALF_NOT_REVALIDATED), CPU, EMULATOR);
    buggy.apply(scenario.ops().get(0));
    buggy.apply(scenario.ops().get(1));
    assertNotEquals(List.of(), InvariantRegistry.violations(buggy), "the shadow still maps the torn entry's old frame");
    assertFirstDivergence(SeededBug.SECOND_HALF_NOT_REVALIDATED, 2);
  }

  /** Example 34 with {@code bug}: its results first differ from native's at {@code step}. */
  private static void assertFirstDivergence(SeededBug bug, int step) throws Exception {
    assertEquals(step, ExampleDivergence.of(ScenarioReader.read(EXAMPLE), bug).step(),
        bug + " first gives the guest a result native does not at step " + step);
  }

  private static OptimizedEngine run(Scenario scenario, OptimizedConfig config) {
    OptimizedEngine engine = new OptimizedEngine(scenario.world().build(), config, CPU, EMULATOR);
    for (GuestOp op : scenario.ops()) {
      engine.apply(op);
    }
    return engine;
  }
}
