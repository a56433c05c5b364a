package org.shadowref.check.suite;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.shadowref.check.coverage.Coverage;

/**
 * Every reachable cell of the page-fault handler's input space (check.coverage.CoverageModel) was
 * reached by the runs before this claim, and no cell declared unreachable was. It judges what
 * {@link Suite#coverageRuns} recorded; it runs nothing itself, so it must come after them.
 */
public final class CoverageClaim implements ClaimCheck {
  /** Missed cells named in the detail; the rest are counted. */
  private static final int NAMED = 12;

  private final Coverage coverage;

  public CoverageClaim(Coverage coverage) {
    this.coverage = coverage;
  }

  @Override
  public String claim() {
    return "the examples and the campaign reach every reachable cell of the handler's input space";
  }

  @Override
  public ClaimResult run(Preset preset, Progress progress) {
    long start = System.nanoTime();
    Coverage.Totals totals = coverage.totals();
    List<String> missed = coverage.missed();
    List<String> contradictions = coverage.contradictions();
    String evidence = String.format(Locale.ROOT, "cells=%d reached=%d unreachable=%d missed=%d", totals.cells(),
        totals.reached(), totals.unreachable(), totals.missed());
    List<String> problems = new ArrayList<>();
    if (totals.reached() == 0) {
      problems.add("no cell reached: nothing was observed (were the runs hooked up?)");
    }
    for (String cell : contradictions) {
      problems.add("reached a cell declared unreachable: " + cell);
    }
    if (!missed.isEmpty()) {
      problems.add("missed " + String.join("; ", missed.subList(0, Math.min(NAMED, missed.size())))
          + (missed.size() > NAMED ? " and " + (missed.size() - NAMED) + " more (./shadowref coverage)" : ""));
    }
    String detail = problems.isEmpty() ? "every reachable cell reached" : String.join("; ", problems);
    return new ClaimResult(claim(), evidence, problems.isEmpty(), NativeOracleClaim.seconds(start), detail, List.of());
  }
}
