package org.shadowref.check.suite;

import java.util.List;
import org.shadowref.check.trace.Scenario;

/**
 * The outcome of checking one claim: whether it held, the evidence that decided it, a detail line
 * for readers, and, for a failure, the points where it failed (for the report to draw).
 */
public record ClaimResult(
    String claim, String evidence, boolean held, double seconds, String detail, List<FailurePoint> failures) {

  /** A scenario and the step after which the platforms parted. */
  public record FailurePoint(Scenario scenario, int step) {}

  public ClaimResult {
    failures = List.copyOf(failures);
  }
}
