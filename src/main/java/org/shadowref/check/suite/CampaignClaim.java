package org.shadowref.check.suite;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import org.shadowref.check.diff.Campaign;
import org.shadowref.check.diff.Differential;
import org.shadowref.check.diff.Lane;
import org.shadowref.check.diff.PlatformSet;
import org.shadowref.check.diff.StandardPlatforms;
import org.shadowref.check.diff.StepObserver;

/**
 * A differential campaign over generated guests: every engine, in every configuration, agrees with
 * native (with a TLB model for out-of-sync shadows) after every operation, and every invariant
 * holds after every step. The lanes run on two threads. Divergences come back shrunk, as
 * replayable traces and as points for the report to draw.
 */
public final class CampaignClaim implements ClaimCheck {
  /** Operations at the standard preset over all lanes (scaled by the preset). */
  static final int BASE_OPS = 600_000;
  /** Threads the lanes share: the machine's two cores. */
  static final int THREADS = 2;

  private final List<Lane> lanes;
  private final long seed;
  private final Path traces;
  private final int baseOps;
  /** Makes the observer of each shard (input-space coverage); shards run on several threads. */
  private final Supplier<StepObserver> observers;

  /** The standard campaign: {@link StandardPlatforms#campaignLanes()}. */
  public CampaignClaim(long seed, Path traces) {
    this(seed, traces, () -> StepObserver.NONE);
  }

  /** The standard campaign, each shard watched by an observer from {@code observers}. */
  public CampaignClaim(long seed, Path traces, Supplier<StepObserver> observers) {
    this(StandardPlatforms.campaignLanes(), seed, traces, BASE_OPS, observers);
  }

  /** One lane over every paging mode with {@code platforms} (for tests and seeded bugs). */
  public CampaignClaim(PlatformSet platforms, long seed, Path traces) {
    this(List.of(new Lane("every mode", platforms, null, 1)), seed, traces, BASE_OPS / 60, () -> StepObserver.NONE);
  }

  public CampaignClaim(List<Lane> lanes, long seed, Path traces, int baseOps, Supplier<StepObserver> observers) {
    this.lanes = List.copyOf(lanes);
    this.seed = seed;
    this.traces = traces;
    this.baseOps = baseOps;
    this.observers = observers;
  }

  @Override
  public String claim() {
    return "every engine equals native on a generated differential campaign";
  }

  @Override
  public ClaimResult run(Preset preset, Progress progress) {
    long start = System.nanoTime();
    int ops = (int) preset.scaled(baseOps);
    List<Campaign.LaneResult> results;
    try {
      results = Campaign.runLanes(lanes, seed, ops, THREADS, traces, "check",
          (done, total, divergences) -> progress.update(done + " ops", done / (double) total), observers);
    } catch (IOException e) {
      return new ClaimResult(claim(), "diff campaign", false, NativeOracleClaim.seconds(start),
          "cannot write a divergence trace: " + e.getMessage(), List.of());
    }
    List<ClaimResult.FailurePoint> points = new ArrayList<>();
    List<String> failures = new ArrayList<>();
    List<String> perLane = new ArrayList<>();
    int allOps = 0;
    int guests = 0;
    java.util.Set<String> classes = new java.util.TreeSet<>();
    for (Campaign.LaneResult lane : results) {
      Campaign.Result result = lane.result();
      allOps += result.ops();
      guests += result.guests();
      classes.addAll(result.coverage().keySet());
      perLane.add(String.format(Locale.ROOT, "%s [%s%s] %,d ops", lane.lane().name(),
          String.join(", ", lane.lane().platforms().names()), lane.lane().platforms().tlbJudged() ? " with a TLB" : "",
          result.ops()));
      for (Differential.Shrunk shrunk : result.divergences()) {
        points.add(ClaimResult.FailurePoint.of(shrunk, lane.lane().platforms()));
        failures.add(lane.lane().name() + ": " + shrunk.failure() + "; replay: ./shadowref replay " + shrunk.trace());
      }
    }
    String evidence = String.format(Locale.ROOT, "seed %d: %,d ops on %d guests in %d lanes on %d threads, %d outcome classes: %s",
        seed, allOps, guests, results.size(), THREADS, classes.size(), String.join("; ", perLane));
    String detail = failures.isEmpty() ? "no divergence, no invariant broken" : String.join("; ", failures);
    return new ClaimResult(claim(), evidence, failures.isEmpty(), NativeOracleClaim.seconds(start), detail, points);
  }
}
