package org.shadowref.bench;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import org.shadowref.shadow.Platform;

/**
 * Times one engine on one workload in this thread: warm-up runs until the warm-up budget is
 * spent, then timed runs until the measurement budget is spent (and at least {@code minRuns}).
 * Every run starts on a fresh engine built outside the timed region: building one copies the whole
 * guest (megabytes) and would otherwise swamp a storm of a thousand faults.
 *
 * <p>Why not JMH's Runner here: allocation per fault must exclude that fresh-engine copy, which
 * JMH's allocation profiler cannot separate from the benchmark (it counts a whole iteration,
 * setup included); this harness reads the thread's allocation counter around the timed region
 * only. {@link ShadowBenchmarks} runs the same workloads under JMH for careful timing.
 */
public final class BenchHarness {
  /**
   * How long to spend on one engine and workload.
   *
   * @param warmupNanos wall time for untimed warm-up runs (at least one run)
   * @param measureNanos wall time for timed runs, fresh-engine setup included
   * @param minRuns timed runs at least, whatever the budget
   * @param maxRuns timed runs at most
   */
  public record Budget(long warmupNanos, long measureNanos, int minRuns, int maxRuns) {
    /** {@code bench --quick}: about one second per engine and workload. */
    public static final Budget QUICK = new Budget(400_000_000L, 600_000_000L, 3, 500);
    /** {@code bench}: about five seconds per engine and workload. */
    public static final Budget STANDARD = new Budget(2_000_000_000L, 3_000_000_000L, 5, 5000);
    /** One warm-up run and two timed runs: for tests of the command, not for figures. */
    public static final Budget SMOKE = new Budget(0, 0, 2, 2);

    public Budget {
      if (warmupNanos < 0 || measureNanos < 0 || minRuns < 1 || maxRuns < minRuns) {
        throw new IllegalArgumentException("a budget needs non-negative times and 1 <= minRuns <= maxRuns");
      }
    }
  }

  private static final com.sun.management.ThreadMXBean THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

  /** Where the run digests go, so that no run's results are dead code to the JIT. */
  private static volatile long sink;

  private BenchHarness() {}

  /** Times {@code engine} on {@code workload}; {@code agrees} is passed through to the result. */
  public static BenchResult measure(Workload workload, EngineKind engine, Budget budget, boolean agrees) {
    long digest = 0;
    long warmupEnd = System.nanoTime() + budget.warmupNanos();
    do {
      digest += workload.run(workload.fresh(engine));
    } while (System.nanoTime() < warmupEnd);

    long[] samples = new long[budget.maxRuns()];
    long allocated = 0;
    long counterCost = allocationCounterCost();
    int runs = 0;
    long measureEnd = System.nanoTime() + budget.measureNanos();
    while (runs < budget.maxRuns() && (runs < budget.minRuns() || System.nanoTime() < measureEnd)) {
      Platform platform = workload.fresh(engine);
      long bytesBefore = THREADS.getCurrentThreadAllocatedBytes();
      long start = System.nanoTime();
      digest += workload.run(platform);
      long elapsed = System.nanoTime() - start;
      long bytesAfter = THREADS.getCurrentThreadAllocatedBytes();
      samples[runs++] = elapsed;
      allocated += Math.max(0, bytesAfter - bytesBefore - counterCost);
    }
    sink = digest;
    long[] timed = Arrays.copyOf(samples, runs);
    Arrays.sort(timed);
    return new BenchResult(workload.kind(), workload.mode(), engine, workload.faults(), workload.opCount(), runs,
        timed[runs / 2], (double) allocated / runs, agrees);
  }

  /** Bytes the allocation counter itself reports between two back-to-back reads (the floor). */
  private static long allocationCounterCost() {
    long least = Long.MAX_VALUE;
    for (int i = 0; i < 8; i++) {
      long before = THREADS.getCurrentThreadAllocatedBytes();
      long after = THREADS.getCurrentThreadAllocatedBytes();
      least = Math.min(least, after - before);
    }
    return Math.max(0, least);
  }
}
