package org.shadowref.shadow.optimized;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.arch.AccessKind;
import org.shadowref.arch.Addr;
import org.shadowref.arch.qual.Mfn;
import org.shadowref.check.invariants.InvariantRegistry;
import org.shadowref.check.trace.Scenario;
import org.shadowref.check.trace.ScenarioReader;
import org.shadowref.emulate.InstructionExecutor;
import org.shadowref.emulate.SdmExecutor;
import org.shadowref.emulate.X86Emulator;
import org.shadowref.shadow.GuestOp;
import org.shadowref.shadow.core.SeededBug;
import org.shadowref.shadow.core.Shadow;
import org.shadowref.shadow.core.ShadowKey;
import org.shadowref.shadow.core.ShadowType;
import org.shadowref.shadow.invariant.InvariantIds;

/**
 * Giving up an idle top whose frame the guest reuses as data, on example 33 and variants of its
 * store: which stores give the top up, that only an idle top is given up, that the frame is
 * unshadowed as the next operation begins and the store runs on the hardware from then on, that
 * nothing happens with the switch off, and the exact failure of the seeded bug.
 */
class ReusedTopsTest {
  private static final InstructionExecutor CPU = new SdmExecutor();
  private static final InstructionExecutor EMULATOR = new X86Emulator();
  private static final Path EXAMPLE = Path.of("examples/33-unpin-reused-top.yaml");
  /** The step of the example that reuses the left address space's root frame as data. */
  private static final String DATA_STORE =
      "{op: access, vcpu: 0, va: 0x600000, kind: write, user: false, size: 8, value: 0x4141414141414141}";
  /** The example's steps before that store: run on the process's space, then switch back. */
  private static final int STORE_STEP = 4;
  private static final long ROOT_GFN = 0x27;

  @Test
  void aDataStoreGivesTheIdleTopUpAndLaterStoresRunOnTheHardware() throws Exception {
    Scenario scenario = example();
    OptimizedEngine engine = engine(OptimizedConfig.PRODUCTION, scenario);
    runSteps(engine, scenario, STORE_STEP);
    assertNotNull(keptTop(engine), "the left space's top is kept and pinned before the store");
    int pinned = engine.state().pinnedCount();
    engine.apply(scenario.ops().get(STORE_STEP));
    assertEquals(1, engine.counters().reusedTopsGivenUp());
    assertTrue(engine.isShadowedPageTable(rootMfn(engine)), "given up, but unshadowed only as the next operation begins");
    long handlerRuns = engine.counters().handlerRuns();
    engine.apply(scenario.ops().get(STORE_STEP + 1)); // the misaligned store
    assertFalse(engine.isShadowedPageTable(rootMfn(engine)), "the frame is no page table to the engine any more");
    assertNull(keptTop(engine), "its top is gone: unpinned and out of the previous roots");
    assertEquals(pinned - 1, engine.state().pinnedCount());
    assertTrue(engine.counters().handlerRuns() - handlerRuns <= 1,
        "the next store takes at most the one fault that makes its mapping writable again");
    engine.apply(scenario.ops().get(STORE_STEP + 2));
    long before = engine.counters().handlerRuns();
    engine.apply(new GuestOp.MemoryAccess(0, Addr.gva(0x600020), AccessKind.WRITE, false, 8, 0x4343_4343_4343_4343L));
    assertEquals(before, engine.counters().handlerRuns(), "a store into the reused frame runs on the hardware");
    assertEquals(List.of(), InvariantRegistry.violations(engine));
  }

  @Test
  void switchedOffTheTopStaysKeptAndEveryStoreTraps() throws Exception {
    Scenario scenario = example();
    OptimizedEngine engine = engine(OptimizedConfig.PRODUCTION.toBuilder().unpinReusedTops(false).build(), scenario);
    runSteps(engine, scenario, STORE_STEP + 3);
    assertEquals(0, engine.counters().reusedTopsGivenUp());
    assertNotNull(keptTop(engine));
    assertTrue(engine.isShadowedPageTable(rootMfn(engine)));
  }

  /**
   * Stores a kernel makes to a live top do not give it up: a whole aligned entry that is a valid
   * one, and a byte that leaves a valid entry (a bit operation); a store misaligned to its width
   * does, whatever it leaves.
   */
  @Test
  void onlyStoresNoKernelMakesToALiveTopGiveItUp() throws Exception {
    assertEquals(0, givenUpBy("{op: access, vcpu: 0, va: 0x600008, kind: write, user: false, size: 8, value: 0x21067}"));
    assertEquals(0, givenUpBy("{op: access, vcpu: 0, va: 0x600000, kind: write, user: false, size: 1, value: 0x67}"));
    assertEquals(0, givenUpBy("{op: access, vcpu: 0, va: 0x600000, kind: write, user: false, size: 8, value: 0}"));
    assertEquals(1, givenUpBy("{op: access, vcpu: 0, va: 0x600002, kind: write, user: false, size: 4, value: 0}"));
    assertEquals(1, givenUpBy("{op: access, vcpu: 0, va: 0x600008, kind: write, user: false, size: 8, "
        + "value: 0x8000000000000021}"), "a present entry with a reserved bit (bit 63 without NXE)");
  }

  /** The same data store into the top the vCPU runs on gives nothing up: the address space is alive. */
  @Test
  void theTopAVcpuRunsOnIsNeverGivenUp() throws Exception {
    Scenario scenario = example();
    OptimizedEngine engine = engine(OptimizedConfig.PRODUCTION, scenario);
    runSteps(engine, scenario, 3); // still on the process's space
    engine.apply(scenario.ops().get(STORE_STEP));
    assertEquals(0, engine.counters().reusedTopsGivenUp());
    assertTrue(engine.isShadowedPageTable(rootMfn(engine)));
  }

  /**
   * Seeded bug {@link SeededBug#REUSED_TOP_STORE_NOT_REVALIDATED}: the kept top still maps the
   * entry the data overwrote, which INV-COHERENT names, until the next operation drops it.
   */
  @Test
  void theSeededBugLeavesTheKeptTopStale() throws Exception {
    Scenario scenario = example();
    OptimizedEngine correct = engine(OptimizedConfig.DEFAULT, scenario);
    OptimizedEngine buggy = engine(OptimizedConfig.DEFAULT.withBug(SeededBug.REUSED_TOP_STORE_NOT_REVALIDATED), scenario);
    runSteps(correct, scenario, STORE_STEP + 1);
    runSteps(buggy, scenario, STORE_STEP + 1);
    assertEquals(1, buggy.counters().reusedTopsGivenUp());
    assertNull(InvariantRegistry.forId(InvariantIds.COHERENT).violation(correct));
    String violation = InvariantRegistry.forId(InvariantIds.COHERENT).violation(buggy);
    assertNotNull(violation);
    assertTrue(violation.contains("L4_64(gfn 0x27) part 0 entry 0"), violation);
  }

  private static int givenUpBy(String store) throws Exception {
    String text = Files.readString(EXAMPLE);
    assertTrue(text.contains(DATA_STORE));
    Scenario scenario = ScenarioReader.read(text.replace(DATA_STORE, store), "variant.yaml", true);
    OptimizedEngine engine = engine(OptimizedConfig.PRODUCTION, scenario);
    runSteps(engine, scenario, STORE_STEP + 1);
    assertEquals(List.of(), InvariantRegistry.violations(engine), store);
    return (int) engine.counters().reusedTopsGivenUp();
  }

  private static Scenario example() throws Exception {
    return ScenarioReader.read(EXAMPLE);
  }

  private static OptimizedEngine engine(OptimizedConfig config, Scenario scenario) {
    return new OptimizedEngine(scenario.world().build(), config, CPU, EMULATOR);
  }

  private static void runSteps(OptimizedEngine engine, Scenario scenario, int steps) {
    for (GuestOp op : scenario.ops().subList(0, steps)) {
      engine.apply(op);
    }
  }

  private static @Mfn long rootMfn(OptimizedEngine engine) {
    return engine.guest().p2m().mfn(Addr.gfn(ROOT_GFN));
  }

  /** The left space's top, if the pool still holds it. */
  private static @Nullable Shadow keptTop(OptimizedEngine engine) {
    Shadow running = engine.state().rootShadow(0);
    assertNotNull(running);
    return engine.state().find(new ShadowKey(ShadowType.L4_64, Addr.gfn(ROOT_GFN), 0, running.key().flavour()));
  }
}
