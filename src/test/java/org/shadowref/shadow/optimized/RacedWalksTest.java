package org.shadowref.shadow.optimized;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.shadowref.arch.AccessKind;
import org.shadowref.arch.Addr;
import org.shadowref.check.invariants.InvariantRegistry;
import org.shadowref.check.trace.Scenario;
import org.shadowref.check.trace.ScenarioReader;
import org.shadowref.emulate.SdmExecutor;
import org.shadowref.emulate.X86Emulator;
import org.shadowref.shadow.GuestOp;
import org.shadowref.shadow.NativePlatform;
import org.shadowref.shadow.OpResult;
import org.shadowref.shadow.core.SeededBug;

/**
 * Raced walks (issue 21 §3): the optimized engine walks before the shadow lock only when switched
 * on, another vCPU's store lands in that window only then, every stale walk is walked again, and
 * each way of trusting a stale walk gives the guest a fault native never raises.
 */
class RacedWalksTest {
  private static final SdmExecutor CPU = new SdmExecutor();
  private static final X86Emulator EMULATOR = new X86Emulator();
  private static final Path EXAMPLE = Path.of("examples", "35-raced-walk.yaml");

  @Test
  void theExampleRewalksOnlyWhenSwitchedOn() throws Exception {
    Scenario scenario = ScenarioReader.read(EXAMPLE);
    OptimizedEngine with = run(scenario, OptimizedConfig.DEFAULT);
    OptimizedEngine without = run(scenario, OptimizedConfig.DEFAULT.toBuilder().racedWalks(false).build());
    assertEquals(2, with.counters().racedWalksRetried(),
        "both raced accesses find their walk stale: one by the version, one by the entries it read");
    assertTrue(with.counters().walksBeforeLock() > 2, "every fault but the fast path's walks before the lock");
    assertEquals(0, without.counters().walksBeforeLock(), "switched off, no walk runs before the lock");
    assertEquals(0, without.counters().racedWalksRetried(), "switched off, nothing is walked again");
  }

  @Test
  void aWalkUsedUncheckedInjectsAFaultTheStoreRemoved() throws Exception {
    assertFirstDivergence(SeededBug.RACED_WALK_NOT_RECHECKED, 1, OpResult.Status.GUEST_FAULT);
  }

  /** The second race's store reaches a table with no shadows on the hardware: no version changes. */
  @Test
  void aWalkCheckedByTheVersionAloneMissesAStoreTheEngineNeverSaw() throws Exception {
    assertFirstDivergence(SeededBug.RACED_WALK_TRUSTS_VERSION, 2, OpResult.Status.GUEST_FAULT);
  }

  @Test
  void theRacingStoreMustBeAnotherVcpusStore() {
    GuestOp.MemoryAccess access = new GuestOp.MemoryAccess(0, Addr.gva(0x400000), AccessKind.READ, false, 8, 0);
    GuestOp.MemoryAccess ownStore = new GuestOp.MemoryAccess(0, Addr.gva(0x600000), AccessKind.WRITE, false, 8, 1);
    GuestOp.MemoryAccess otherLoad = new GuestOp.MemoryAccess(1, Addr.gva(0x600000), AccessKind.READ, false, 8, 0);
    assertThrows(IllegalArgumentException.class, () -> new GuestOp.Raced(access, ownStore));
    assertThrows(IllegalArgumentException.class, () -> new GuestOp.Raced(access, otherLoad));
  }

  /** Runs the example on {@code config} beside native: every result and the guest equal native's. */
  private static OptimizedEngine run(Scenario scenario, OptimizedConfig config) {
    NativePlatform reference = new NativePlatform(scenario.world().build(), CPU);
    OptimizedEngine engine = new OptimizedEngine(scenario.world().build(), config, CPU, EMULATOR);
    for (GuestOp op : scenario.ops()) {
      assertEquals(reference.apply(op), engine.apply(op), op::toString);
      assertEquals(null, engine.guest().firstGuestDifference(reference.guest()), op::toString);
      assertEquals(List.of(), InvariantRegistry.violations(engine), op::toString);
    }
    return engine;
  }

  /** With {@code bug}, the example's step {@code step} is the first whose result differs from native's, as {@code status}. */
  private static void assertFirstDivergence(SeededBug bug, int step, OpResult.Status status) throws Exception {
    Scenario scenario = ScenarioReader.read(EXAMPLE);
    NativePlatform reference = new NativePlatform(scenario.world().build(), CPU);
    OptimizedEngine buggy = new OptimizedEngine(scenario.world().build(), OptimizedConfig.DEFAULT.withBug(bug), CPU,
        EMULATOR);
    List<Integer> diverged = new ArrayList<>();
    OpResult first = null;
    for (int i = 0; i < scenario.ops().size(); i++) {
      GuestOp op = scenario.ops().get(i);
      OpResult expected = reference.apply(op);
      OpResult actual = buggy.apply(op);
      if (!expected.equals(actual)) {
        if (first == null) {
          first = actual;
        }
        diverged.add(i);
      }
    }
    assertTrue(!diverged.isEmpty() && diverged.get(0) == step, bug + " diverged at " + diverged);
    assertEquals(status, first == null ? null : first.status(), bug + ": the stale walk's answer");
  }
}
