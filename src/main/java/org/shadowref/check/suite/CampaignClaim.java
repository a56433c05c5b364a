package org.shadowref.check.suite;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.shadowref.check.diff.Campaign;
import org.shadowref.check.diff.Differential;
import org.shadowref.check.diff.PlatformSet;
import org.shadowref.check.diff.StepObserver;

/**
 * A differential campaign over generated guests: every engine agrees with native after every
 * operation, and every invariant holds after every step. Divergences come back shrunk, as
 * replayable traces and as points for the report to draw.
 */
public final class CampaignClaim implements ClaimCheck {
  /** Operations at the standard preset (scaled by the preset). */
  private static final int BASE_OPS = 10_000;

  private final PlatformSet platforms;
  private final long seed;
  private final Path traces;
  private final StepObserver observer;

  public CampaignClaim(PlatformSet platforms, long seed, Path traces) {
    this(platforms, seed, traces, StepObserver.NONE);
  }

  /** The campaign with {@code observer} watching every step (input-space coverage). */
  public CampaignClaim(PlatformSet platforms, long seed, Path traces, StepObserver observer) {
    this.platforms = platforms;
    this.seed = seed;
    this.traces = traces;
    this.observer = observer;
  }

  @Override
  public String claim() {
    return "every engine equals native on a generated differential campaign";
  }

  @Override
  public ClaimResult run(Preset preset, Progress progress) {
    long start = System.nanoTime();
    int ops = (int) preset.scaled(BASE_OPS);
    Campaign.Result result;
    try {
      result = Campaign.run(platforms, seed, ops, null, traces, "check",
          (done, total, divergences) -> progress.update(done + " ops", done / (double) total), observer);
    } catch (IOException e) {
      return new ClaimResult(claim(), "diff campaign", false, NativeOracleClaim.seconds(start),
          "cannot write a divergence trace: " + e.getMessage(), List.of());
    }
    List<ClaimResult.FailurePoint> points = new ArrayList<>();
    List<String> failures = new ArrayList<>();
    for (Differential.Shrunk shrunk : result.divergences()) {
      points.add(ClaimResult.FailurePoint.of(shrunk, platforms));
      failures.add(shrunk.failure() + "; replay: ./shadowref replay " + shrunk.trace());
    }
    String evidence = String.format(Locale.ROOT, "seed %d: %,d ops on %d guests (%s), %,d ops/s, %d outcome classes",
        seed, result.ops(), result.guests(), String.join(", ", platforms.names()), result.opsPerSecond(),
        result.coverage().size());
    String detail = failures.isEmpty() ? "no divergence, no invariant broken" : String.join("; ", failures);
    return new ClaimResult(claim(), evidence, failures.isEmpty(), NativeOracleClaim.seconds(start), detail, points);
  }
}
