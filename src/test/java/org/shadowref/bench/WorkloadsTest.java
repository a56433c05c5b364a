package org.shadowref.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.shadowref.arch.Access;
import org.shadowref.arch.Addr;
import org.shadowref.arch.EntryBits;
import org.shadowref.arch.PagingMode;
import org.shadowref.mmu.GuestTables;
import org.shadowref.mmu.WalkResult;
import org.shadowref.mmu.Walker;
import org.shadowref.shadow.GuestMachine;
import org.shadowref.shadow.GuestOp;
import org.shadowref.shadow.OpResult;
import org.shadowref.shadow.Platform;
import org.shadowref.shadow.optimized.OptimizedEngine;

/**
 * The workloads do what they claim: the number of faults the reference engine takes on each is
 * the number its design promises, every operation succeeds as intended, the optimized engine
 * computes the same results, and a seed always gives the same workload.
 */
class WorkloadsTest {
  private static final Workloads.Size SIZE = Workloads.Size.SMALL;

  @Test
  void theDemandStormIsOneReferenceFaultPerPageOnLinuxPtesAndPrefetchServesMostOfIt() {
    for (PagingMode mode : PagingMode.values()) {
      Workload storm = Workloads.demandStorm(mode, 64, 7);
      assertEquals(64, storm.opCount(), mode.cliName());
      assertEquals(64, storm.faults(), mode.cliName() + ": one reference handler run per first touch");
      GuestMachine before = storm.fresh(EngineKind.REFERENCE).guest();
      for (int page = 0; page < 64; page++) {
        WalkResult walk = Walker.walk(new GuestTables(before.physical()), before.vcpu(0).regs(), before.cpu(),
            Addr.gva(Workloads.REGION + page * Addr.PAGE_SIZE), Access.USER_READ, false);
        assertEquals(EntryBits.A | EntryBits.D, walk.entry(1) & (EntryBits.A | EntryBits.D),
            mode.cliName() + " page " + page + ": Linux makes anonymous PTEs accessed and dirty");
      }
      OptimizedEngine optimized = (OptimizedEngine) storm.fresh(EngineKind.OPTIMIZED);
      assertAllOk(storm.results(optimized), mode);
      // Page 0 faults and prefetches pages 1..32; page 33 faults and prefetches the rest.
      assertEquals(2, optimized.counters().handlerRuns(), mode.cliName() + ": Xen's prefetch distance, 32");
    }
  }

  @Test
  void theWriteStormFaultsOnceToShadowTheTableThenOncePerPteStore() {
    for (PagingMode mode : PagingMode.values()) {
      Workload storm = Workloads.writeStorm(mode, SIZE.writePages(), 7);
      int pages = SIZE.writePages();
      assertEquals(1 + 6 * pages, storm.opCount(), mode.cliName() + ": per page two stores, two INVLPGs, two accesses");
      assertEquals(1 + 2 * pages, storm.faults(), mode.cliName() + ": one read, then one emulation per store");
      assertAllOk(storm.results(storm.fresh(EngineKind.REFERENCE)), mode);
    }
  }

  @Test
  void theSwitchStormRefaultsItsFourPagesOnEveryVisit() {
    for (PagingMode mode : PagingMode.values()) {
      Workload storm = Workloads.switchStorm(mode, 6, 3, 7);
      assertEquals(3 * 6 * 5, storm.opCount(), mode.cliName() + ": a CR3 load and four accesses per visit");
      assertEquals(3 * 6 * 4, storm.faults(), mode.cliName() + ": the old space's shadows go at each switch");
      assertAllOk(storm.results(storm.fresh(EngineKind.REFERENCE)), mode);
    }
  }

  @Test
  void theMixedWorkloadFaultsOnSomeButNotAllOfItsOperations() {
    for (PagingMode mode : PagingMode.values()) {
      Workload mixed = Workloads.mixed(mode, 200, 7);
      assertEquals(200, mixed.opCount());
      assertTrue(mixed.faults() > 20 && mixed.faults() < 200 * 2, mode.cliName() + ": " + mixed.faults());
    }
  }

  @Test
  void theOptimizedEngineComputesWhatTheReferenceComputesOnEveryWorkload() {
    for (WorkloadKind kind : WorkloadKind.values()) {
      for (PagingMode mode : PagingMode.values()) {
        Workload workload = Workloads.build(kind, mode, SIZE, 3);
        assertEquals(workload.results(workload.fresh(EngineKind.REFERENCE)),
            workload.results(workload.fresh(EngineKind.OPTIMIZED)), workload.toString());
      }
    }
  }

  @Test
  void performGivesTheDigestOfWhatApplyReturnsOnEveryEngineAndWorkload() {
    for (WorkloadKind kind : WorkloadKind.values()) {
      for (PagingMode mode : PagingMode.values()) {
        Workload workload = Workloads.build(kind, mode, SIZE, 5);
        for (EngineKind engine : EngineKind.values()) {
          Platform performed = workload.fresh(engine);
          Platform applied = workload.fresh(engine);
          List<GuestOp> ops = workload.ops();
          for (int i = 0; i < ops.size(); i++) {
            OpResult result = applied.apply(ops.get(i));
            assertEquals(result.digest(), performed.perform(ops.get(i)),
                workload + " on " + engine.cliName() + ", op " + i + " " + ops.get(i) + ": " + result);
          }
          assertEquals(applied.fingerprint(), performed.fingerprint(), workload + " on " + engine.cliName());
        }
      }
    }
  }

  @Test
  void aSeedAlwaysGivesTheSameWorkloadAndEveryRunStartsAfresh() {
    for (WorkloadKind kind : WorkloadKind.values()) {
      Workload once = Workloads.build(kind, PagingMode.FOUR_LEVEL, SIZE, 11);
      Workload again = Workloads.build(kind, PagingMode.FOUR_LEVEL, SIZE, 11);
      Workload other = Workloads.build(kind, PagingMode.FOUR_LEVEL, SIZE, 12);
      assertEquals(once.ops(), again.ops(), kind.cliName());
      assertNotEquals(once.ops(), other.ops(), kind.cliName());
      int[] handlerRuns = {0};
      once.run(once.countingReference(handlerRuns));
      once.run(once.countingReference(handlerRuns));
      assertEquals(2 * once.faults(), handlerRuns[0], kind.cliName() + ": a run never sees the previous run's shadows");
    }
  }

  private static void assertAllOk(List<OpResult> results, PagingMode mode) {
    for (int i = 0; i < results.size(); i++) {
      assertEquals(OpResult.Status.OK, results.get(i).status(), mode.cliName() + " op " + i + ": " + results.get(i));
    }
  }
}
