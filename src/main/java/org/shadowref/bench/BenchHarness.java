package org.shadowref.bench;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.shadowref.shadow.Platform;

/**
 * Times the engines on one workload in this thread: warm-up runs until the warm-up budget is
 * spent (and the JIT has settled), then timed runs until the measurement budget is spent (and
 * at least {@code minRuns}). The engines take turns, one run each per round, so that whatever
 * else the machine is doing meanwhile falls on all of them alike.
 *
 * <p>Every run starts on a fresh engine built outside the timed region: building one copies the
 * whole guest (megabytes) and would otherwise swamp a storm of a thousand faults.
 *
 * <p>A run is timed by the thread's CPU time and by the wall clock. The figures use the fastest
 * run's CPU time: on a shared machine (this one has two cores and several busy neighbours) the
 * wall clock counts the time the thread waited for a core, and even CPU time varies severalfold
 * with what the neighbours do to the caches; every disturbance only adds, so the fastest run is
 * the one nearest the engine's own cost. The medians are kept too.
 *
 * <p>Why not JMH's Runner here: allocation per fault must exclude the fresh-engine copy, which
 * JMH's allocation profiler cannot separate from the benchmark (it counts a whole iteration,
 * setup included); this harness reads the thread's allocation counter around the timed region
 * only. {@link ShadowBenchmarks} runs the same workloads under JMH.
 */
public final class BenchHarness {
  /**
   * How long to spend on one workload (all engines together).
   *
   * @param warmupNanos wall time for untimed warm-up runs (at least one run each; longer while
   *     the JIT is still compiling)
   * @param measureNanos wall time for timed runs, fresh-engine setup included
   * @param minRuns timed runs of each engine at least, whatever the budget
   * @param maxRuns timed runs of each engine at most
   */
  public record Budget(long warmupNanos, long measureNanos, int minRuns, int maxRuns) {
    /** {@code bench --quick}: about three seconds per workload and mode. */
    public static final Budget QUICK = new Budget(1_200_000_000L, 1_500_000_000L, 3, 500);
    /** {@code bench}: about fifteen seconds per workload and mode. */
    public static final Budget STANDARD = new Budget(5_000_000_000L, 10_000_000_000L, 10, 5000);
    /** One warm-up run and two timed runs: for tests of the command, not for figures. */
    public static final Budget SMOKE = new Budget(0, 0, 2, 2);

    public Budget {
      if (warmupNanos < 0 || measureNanos < 0 || minRuns < 1 || maxRuns < minRuns) {
        throw new IllegalArgumentException("a budget needs non-negative times and 1 <= minRuns <= maxRuns");
      }
    }
  }

  /** How far past its budget a warm-up may go while the JIT is still compiling. */
  private static final int WARMUP_STRETCH = 4;

  private static final com.sun.management.ThreadMXBean THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

  /** Where the run digests go, so that no run's results are dead code to the JIT. */
  private static volatile long sink;

  private BenchHarness() {}

  /**
   * Runs every engine on each of {@code workloads} in turn until {@code nanos} have passed (and
   * the JIT has settled), so that the code all cases share is compiled before any is timed.
   */
  public static void warmUp(List<Workload> workloads, long nanos) {
    long digest = 0;
    long start = System.nanoTime();
    long compiled;
    do {
      compiled = compilationMillis();
      for (Workload workload : workloads) {
        for (EngineKind engine : EngineKind.values()) {
          digest += workload.run(workload.fresh(engine));
        }
      }
    } while (warmingUp(start, nanos, compiled));
    sink = digest;
  }

  /**
   * Times each of {@code engines} on {@code workload}, taking turns; {@code agrees[i]} (whether
   * engine i computed the reference engine's results) is passed through to its result.
   */
  public static List<BenchResult> measure(Workload workload, EngineKind[] engines, boolean[] agrees, Budget budget) {
    warmUp(List.of(workload), budget.warmupNanos());
    int count = engines.length;
    long[][] cpu = new long[count][budget.maxRuns()];
    long[][] wall = new long[count][budget.maxRuns()];
    long[][] allocated = new long[count][budget.maxRuns()];
    long counterCost = allocationCounterCost();
    long digest = 0;
    int runs = 0;
    long measureEnd = System.nanoTime() + budget.measureNanos();
    while (runs < budget.maxRuns() && (runs < budget.minRuns() || System.nanoTime() < measureEnd)) {
      for (int e = 0; e < count; e++) {
        Platform platform = workload.fresh(engines[e]);
        long bytesBefore = THREADS.getCurrentThreadAllocatedBytes();
        long cpuBefore = cpuNow();
        long start = System.nanoTime();
        digest += workload.run(platform);
        wall[e][runs] = System.nanoTime() - start;
        cpu[e][runs] = cpuNow() - cpuBefore;
        allocated[e][runs] = Math.max(0, THREADS.getCurrentThreadAllocatedBytes() - bytesBefore - counterCost);
      }
      runs++;
    }
    sink = digest;
    List<BenchResult> results = new ArrayList<>();
    for (int e = 0; e < count; e++) {
      results.add(new BenchResult(workload.kind(), workload.mode(), engines[e], workload.faults(), workload.opCount(),
          runs, least(cpu[e], runs), median(cpu[e], runs), median(wall[e], runs), median(allocated[e], runs),
          agrees[e]));
    }
    return results;
  }

  /**
   * Whether to go on warming up: until {@code nanos} have passed, and beyond while the JIT is
   * still compiling (its total compilation time moved since {@code compiledBefore}), up to
   * {@value #WARMUP_STRETCH} times {@code nanos}. On a busy machine the compiler threads wait for
   * a core too, and code timed before they are done runs interpreted, several times slower.
   */
  private static boolean warmingUp(long start, long nanos, long compiledBefore) {
    long elapsed = System.nanoTime() - start;
    return elapsed < nanos || (compilationMillis() != compiledBefore && elapsed < WARMUP_STRETCH * nanos);
  }

  /** Milliseconds the JIT has spent compiling so far (0 when the JVM cannot tell). */
  private static long compilationMillis() {
    CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
    return jit != null && jit.isCompilationTimeMonitoringSupported() ? jit.getTotalCompilationTime() : 0;
  }

  /** This thread's CPU time; the wall clock on a JVM that cannot tell (none we know of). */
  private static long cpuNow() {
    long cpu = THREADS.getCurrentThreadCpuTime();
    return cpu < 0 ? System.nanoTime() : cpu;
  }

  private static long least(long[] samples, int count) {
    long least = Long.MAX_VALUE;
    for (int i = 0; i < count; i++) {
      least = Math.min(least, samples[i]);
    }
    return least;
  }

  private static long median(long[] samples, int count) {
    long[] sorted = Arrays.copyOf(samples, count);
    Arrays.sort(sorted);
    return sorted[count / 2];
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
