package org.shadowref.check.suite;

import java.util.Collections;
import java.util.List;
import org.shadowref.check.diff.Differential;
import org.shadowref.check.diff.PlatformSet;
import org.shadowref.check.trace.Scenario;

/**
 * The outcome of checking one claim: whether it held, the evidence that decided it, a detail line
 * for readers, and, for a failure, the points where it failed (for the report to draw).
 */
public record ClaimResult(
    String claim, String evidence, boolean held, double seconds, String detail, List<FailurePoint> failures) {

  /**
   * A scenario, the step after which the platforms parted, the platforms that parted, and the
   * command line that re-runs it ({@code ./shadowref replay TRACE}, {@code ./shadowref run FILE}).
   */
  public record FailurePoint(Scenario scenario, int step, PlatformSet platforms, String replay) {
    /** The point where a shrunk generated case fails, as a scenario that expects nothing in particular. */
    public static FailurePoint of(Differential.Shrunk shrunk, PlatformSet platforms) {
      Scenario scenario = new Scenario(String.valueOf(shrunk.trace().getFileName()), shrunk.failure().toString(),
          "generated", shrunk.minimal().world(), shrunk.minimal().ops(),
          Collections.nCopies(shrunk.minimal().ops().size(), Scenario.Expectation.ANYTHING));
      return new FailurePoint(scenario, Math.max(0, Math.min(shrunk.failure().step(), shrunk.minimal().ops().size() - 1)),
          platforms, "./shadowref replay " + shrunk.trace());
    }
  }

  public ClaimResult {
    failures = List.copyOf(failures);
  }
}
