package org.shadowref.bench;

import org.shadowref.arch.PagingMode;

/**
 * One engine timed on one workload.
 *
 * @param faults the workload's fault count: runs of the reference engine's handler on it, the
 *     same divisor for both engines (see {@link Workload})
 * @param ops operations in one run
 * @param runs timed runs, each on a fresh engine
 * @param bestNanos the thread CPU time of the fastest run: what the figures are computed from
 * @param medianNanos the median thread CPU time of a run
 * @param medianWallNanos the median wall-clock time of a run (includes waits for a core)
 * @param bytesPerRun heap bytes the engine allocated in the median run: the steady state, once the
 *     JIT has compiled the engine (the first runs also allocate what compiled code would not)
 * @param agrees whether every operation's result equalled the reference engine's
 */
public record BenchResult(
    WorkloadKind workload,
    PagingMode mode,
    EngineKind engine,
    int faults,
    int ops,
    int runs,
    long bestNanos,
    long medianNanos,
    long medianWallNanos,
    double bytesPerRun,
    boolean agrees) {

  public double faultsPerSecond() {
    return faults * 1e9 / Math.max(1, bestNanos);
  }

  public double nanosPerFault() {
    return (double) bestNanos / Math.max(1, faults);
  }

  public double nanosPerOp() {
    return (double) bestNanos / Math.max(1, ops);
  }

  public double bytesPerFault() {
    return bytesPerRun / Math.max(1, faults);
  }
}
