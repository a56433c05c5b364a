package org.shadowref.bench;

import org.shadowref.arch.PagingMode;

/**
 * One engine timed on one workload.
 *
 * @param faults the workload's fault count: runs of the reference engine's handler on it, the
 *     same divisor for both engines (see {@link Workload})
 * @param ops operations in one run
 * @param runs timed runs, each on a fresh engine
 * @param medianNanos the median time of one run
 * @param bytesPerRun heap bytes the engine allocated in one run, on average
 * @param agrees whether every operation's result equalled the reference engine's
 */
public record BenchResult(
    WorkloadKind workload,
    PagingMode mode,
    EngineKind engine,
    int faults,
    int ops,
    int runs,
    long medianNanos,
    double bytesPerRun,
    boolean agrees) {

  public double faultsPerSecond() {
    return faults * 1e9 / Math.max(1, medianNanos);
  }

  public double nanosPerFault() {
    return (double) medianNanos / Math.max(1, faults);
  }

  public double nanosPerOp() {
    return (double) medianNanos / Math.max(1, ops);
  }

  public double bytesPerFault() {
    return bytesPerRun / Math.max(1, faults);
  }
}
