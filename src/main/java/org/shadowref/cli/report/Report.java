package org.shadowref.cli.report;

import java.util.ArrayList;
import java.util.List;

/**
 * What {@code shadowref check --report DIR} shows: the claims with their evidence and results,
 * the invariant catalogue, benchmark figures, and a drawing for every failure.
 */
public final class Report {
  /** One claim the check makes, the evidence behind it, and whether it held. */
  public record Claim(String claim, String evidence, boolean held, double seconds, String detail) {}

  /** One invariant of the catalogue and what discharges it. */
  public record Invariant(String id, String statement, String evidence) {}

  /** Throughput of the two engines on one workload. */
  public record Benchmark(String workload, String mode, double referencePerSecond, double optimizedPerSecond) {
    public double speedup() {
      return referencePerSecond == 0 ? 0 : optimizedPerSecond / referencePerSecond;
    }
  }

  /**
   * One group of the input-space coverage matrix: its counts, the reachable cells it missed,
   * and the group drawn as text (reached, missed, unreachable per cell).
   */
  public record CoverageGroup(String id, String title, int reached, int reachable, int unreachable, List<String> missed,
      String matrix) {
    public CoverageGroup {
      missed = List.copyOf(missed);
    }
  }

  /**
   * A failure of a claim: what failed and where, what native (or the expectation) said and what
   * the engine did, the trace that replays it, and, for a failing step, the guest tree beside the
   * shadow tree with the walk, the deciding entry and the stale entries marked. A failure that is
   * not a step (a model's violation, a mutant that survived) has no drawing: empty SVGs.
   *
   * @param expected native's outcome of the step, or what the claim expected ("" when not a step)
   * @param actual what the engine did instead ("" when not a step)
   * @param replay the command line that re-runs the failure, "" when there is none
   */
  public record Failure(String title, String claim, String explanation, String expected, String actual, String replay,
      String guestSvg, String shadowSvg) {
    /** True when the failure has a drawing of the trees. */
    public boolean drawn() {
      return !guestSvg.isEmpty() || !shadowSvg.isEmpty();
    }
  }

  private final String title;
  private final List<Claim> claims = new ArrayList<>();
  private final List<Invariant> invariants = new ArrayList<>();
  private final List<Benchmark> benchmarks = new ArrayList<>();
  private final List<Failure> failures = new ArrayList<>();
  private final List<CoverageGroup> coverage = new ArrayList<>();
  private String benchmarkSource = "";

  public Report(String title) {
    this.title = title;
  }

  public String title() {
    return title;
  }

  public Report add(Claim claim) {
    claims.add(claim);
    return this;
  }

  public Report add(Invariant invariant) {
    invariants.add(invariant);
    return this;
  }

  public Report add(Benchmark benchmark) {
    benchmarks.add(benchmark);
    return this;
  }

  /** Where the benchmark figures come from (a file and the command that made it). */
  public Report benchmarkSource(String source) {
    benchmarkSource = source;
    return this;
  }

  public String benchmarkSource() {
    return benchmarkSource;
  }

  public Report add(Failure failure) {
    failures.add(failure);
    return this;
  }

  public Report add(CoverageGroup group) {
    coverage.add(group);
    return this;
  }

  public List<CoverageGroup> coverage() {
    return List.copyOf(coverage);
  }

  public List<Claim> claims() {
    return List.copyOf(claims);
  }

  public List<Invariant> invariants() {
    return List.copyOf(invariants);
  }

  public List<Benchmark> benchmarks() {
    return List.copyOf(benchmarks);
  }

  public List<Failure> failures() {
    return List.copyOf(failures);
  }

  public int failedClaims() {
    int failed = 0;
    for (Claim claim : claims) {
      if (!claim.held()) {
        failed++;
      }
    }
    return failed;
  }
}
