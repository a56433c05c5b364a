package org.shadowref.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.shadowref.arch.Access;
import org.shadowref.arch.CpuModel;
import org.shadowref.check.explore.ExplorationReport;
import org.shadowref.check.explore.Explorer;
import org.shadowref.check.explore.ExplorerOptions;
import org.shadowref.check.explore.ModelArgs;
import org.shadowref.check.explore.Strategy;
import org.shadowref.check.explore.Trace;
import org.shadowref.check.trace.TraceFile;
import org.shadowref.check.trace.TraceReader;
import org.shadowref.check.trace.TraceWriter;
import org.shadowref.check.trace.GuestSnapshot;
import org.shadowref.mmu.AccessOutcome;
import org.shadowref.mmu.NativeMmu;
import org.shadowref.shadow.GuestMachine;
import org.shadowref.shadow.GuestOp;
import org.shadowref.shadow.OpResult;

class NativeWalkTest {
  private static ExplorationReport explore(Strategy strategy, String... args) {
    return Explorer.explore(new NativeWalk(ModelArgs.parse(args)), ExplorerOptions.defaults().withStrategy(strategy));
  }

  @Test
  void theWholeModelExploresCleanlyAndReachesEveryCase() {
    ExplorationReport report = explore(Strategy.BFS, "mode=all");
    assertTrue(report.violations().isEmpty(), () -> String.valueOf(report.firstViolation()));
    assertTrue(report.exhausted());
    // Recorded in proofs/models.md; this model must not silently shrink.
    assertTrue(report.states() >= 104_864, "states: " + report.states());
    assertTrue(report.coverage().missed().isEmpty(), "never reached: " + report.coverage().missed());
  }

  @Test
  void depthFirstFindsTheSameStates() {
    assertEquals(explore(Strategy.BFS, "mode=pae").states(), explore(Strategy.DFS, "mode=pae").states());
  }

  @Test
  void aWalkThatLosesDirtyBitsIsCaughtWithAOneStepTrace() throws Exception {
    ExplorationReport report = explore(Strategy.BFS, "mode=4level", "bug=drop-dirty");
    Trace trace = report.firstViolation();
    assertNotNull(trace);
    assertEquals(
        "a successful access sets A on each entry used and D on a written leaf, nothing else", trace.property());
    assertEquals(1, trace.length(), "one write is enough");

    // The trace file is self-contained: its world, rebuilt as a guest, gives the recorded result
    // on the native MMU.
    TraceFile file = TraceReader.read(TraceWriter.toJson(trace.toFile("NativeWalk", "bug=drop-dirty")), "trace");
    GuestSnapshot world = file.world();
    assertNotNull(world);
    GuestMachine guest = world.build();
    GuestOp.MemoryAccess write = (GuestOp.MemoryAccess) file.ops().get(0);
    AccessOutcome outcome = new NativeMmu(guest.physical(), new CpuModel(world.maxPhysAddr()))
        .translate(guest.vcpu(0).regs(), write.va(), Access.of(write.kind(), write.user()));
    assertNotNull(file.expected());
    assertEquals(file.expected().get(0), OpResult.of(outcome, 0));
  }
}
