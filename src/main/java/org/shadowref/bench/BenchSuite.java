package org.shadowref.bench;

import java.util.ArrayList;
import java.util.List;
import org.shadowref.arch.PagingMode;
import org.shadowref.shadow.OpResult;

/**
 * The whole comparison: a common warm-up on small versions of every chosen workload, then for
 * each workload and paging mode the reference engine and the optimized engine, timed together by
 * {@link BenchHarness}. Before the optimized engine is timed its results
 * on the workload are checked against the reference engine's, so a speed-up is never reported for
 * an engine that computes something else.
 */
public final class BenchSuite {
  /** Hears each result as soon as it is measured (the CLI prints rows as they come). */
  public interface Listener {
    void measured(BenchResult result);
  }

  private final List<WorkloadKind> workloads;
  private final List<PagingMode> modes;
  private final Workloads.Size size;
  private final BenchHarness.Budget budget;
  private final long seed;

  public BenchSuite(List<WorkloadKind> workloads, List<PagingMode> modes, Workloads.Size size,
      BenchHarness.Budget budget, long seed) {
    this.workloads = List.copyOf(workloads);
    this.modes = List.copyOf(modes);
    this.size = size;
    this.budget = budget;
    this.seed = seed;
  }

  public BenchReport run(Listener listener) {
    List<Workload> small = new ArrayList<>();
    for (WorkloadKind kind : workloads) {
      for (PagingMode mode : modes) {
        small.add(Workloads.build(kind, mode, Workloads.Size.SMALL, seed));
      }
    }
    BenchHarness.warmUp(small, budget.warmupNanos());
    List<BenchResult> results = new ArrayList<>();
    for (WorkloadKind kind : workloads) {
      for (PagingMode mode : modes) {
        Workload workload = Workloads.build(kind, mode, size, seed);
        List<OpResult> expected = workload.results(workload.fresh(EngineKind.REFERENCE));
        EngineKind[] engines = EngineKind.values();
        boolean[] agrees = new boolean[engines.length];
        for (int e = 0; e < engines.length; e++) {
          agrees[e] = engines[e] == EngineKind.REFERENCE || expected.equals(workload.results(workload.fresh(engines[e])));
        }
        for (BenchResult result : BenchHarness.measure(workload, engines, agrees, budget)) {
          results.add(result);
          listener.measured(result);
        }
      }
    }
    return new BenchReport(results);
  }
}
