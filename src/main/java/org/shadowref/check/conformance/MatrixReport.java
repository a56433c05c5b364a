package org.shadowref.check.conformance;

import java.util.ArrayList;
import java.util.List;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The tally of one access-matrix run: combinations per geometry, access and expected outcome,
 * and the mismatches (the first {@link #KEPT_MISMATCHES} in detail, all of them counted).
 */
public final class MatrixReport {
  public static final int KEPT_MISMATCHES = 50;

  private final Geometry[] geometries;
  /** [geometry][access][outcome] combinations, and [geometry][access] mismatches. */
  private final long[][][] counts;
  private final long[][] failures;
  private final List<String> mismatches = new ArrayList<>();
  private long total;
  private long failed;

  MatrixReport(Geometry[] geometries) {
    this.geometries = geometries.clone();
    int outcomes = Expectation.Outcome.values().length;
    counts = new long[geometries.length][AccessMatrix.ACCESSES.length][outcomes];
    failures = new long[geometries.length][AccessMatrix.ACCESSES.length];
  }

  void record(int geometry, int access, Expectation.Outcome expected, AccessCase c, @Nullable String mismatch) {
    counts[geometry][access][expected.ordinal()]++;
    total++;
    if (mismatch != null) {
      failures[geometry][access]++;
      failed++;
      if (mismatches.size() < KEPT_MISMATCHES) {
        mismatches.add(c + ": " + mismatch);
      }
    }
  }

  public Geometry[] geometries() {
    return geometries.clone();
  }

  /** Combinations checked. */
  public long total() {
    return total;
  }

  /** Combinations where the walker disagreed with the rule table. */
  public long failed() {
    return failed;
  }

  /** Combinations of one geometry and access whose expected outcome is {@code outcome}. */
  public long count(int geometry, int access, Expectation.Outcome outcome) {
    return counts[geometry][access][outcome.ordinal()];
  }

  public long failures(int geometry, int access) {
    return failures[geometry][access];
  }

  public long total(int geometry) {
    long sum = 0;
    for (long[] perAccess : counts[geometry]) {
      for (long n : perAccess) {
        sum += n;
      }
    }
    return sum;
  }

  /** The first mismatches, each as {@code combination: what differed}. */
  public List<String> mismatches() {
    return new ArrayList<>(mismatches);
  }
}
