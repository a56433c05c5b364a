package org.shadowref.check.suite;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.checkerframework.checker.nullness.qual.Nullable;
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
  /**
   * Coverage closure: while a reachable cell is still missed, up to this many more rounds of a
   * quarter of the operations each, on guests of other seeds. Rare cells (a few hits per 10^5
   * operations) then do not come and go with every change to the generators, and a cell that
   * became unreachable still fails the coverage claim, after at most half again the work.
   */
  static final int MAX_TOP_UPS = 2;
  private static final long TOP_UP_SEED_STRIDE = 1_000_003L;

  private final List<Lane> lanes;
  private final long seed;
  private final Path traces;
  private final int baseOps;
  /** Makes the observer of each shard (input-space coverage); shards run on several threads. */
  private final Supplier<StepObserver> observers;
  /** Whether the coverage the observers record is closed (no top-up then); null: never top up. */
  private final @Nullable BooleanSupplier coverageClosed;

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

  /**
   * The standard campaign, each shard watched by an observer from {@code observers}, topped up
   * with more guests while {@code coverageClosed} says a reachable cell is still missed.
   */
  public CampaignClaim(long seed, Path traces, Supplier<StepObserver> observers, BooleanSupplier coverageClosed) {
    this(StandardPlatforms.campaignLanes(), seed, traces, BASE_OPS, observers, coverageClosed);
  }

  public CampaignClaim(List<Lane> lanes, long seed, Path traces, int baseOps, Supplier<StepObserver> observers) {
    this(lanes, seed, traces, baseOps, observers, null);
  }

  CampaignClaim(List<Lane> lanes, long seed, Path traces, int baseOps, Supplier<StepObserver> observers,
      @Nullable BooleanSupplier coverageClosed) {
    this.lanes = List.copyOf(lanes);
    this.seed = seed;
    this.traces = traces;
    this.baseOps = baseOps;
    this.observers = observers;
    this.coverageClosed = coverageClosed;
  }

  @Override
  public String claim() {
    return "every engine equals native on a generated differential campaign";
  }

  @Override
  public ClaimResult run(Preset preset, Progress progress) {
    long start = System.nanoTime();
    int ops = (int) preset.scaled(baseOps);
    List<Campaign.LaneResult> results = new ArrayList<>();
    int topUps = 0;
    try {
      results.addAll(Campaign.runLanes(lanes, seed, ops, THREADS, traces, "check",
          (done, total, divergences) -> progress.update(done + " ops", done / (double) total), observers));
      while (coverageClosed != null && !coverageClosed.getAsBoolean() && topUps < MAX_TOP_UPS && ops >= 4) {
        topUps++;
        String round = "top-up " + topUps + ": ";
        results.addAll(Campaign.runLanes(lanes, seed + topUps * TOP_UP_SEED_STRIDE, ops / 4, THREADS, traces, "check",
            (done, total, divergences) -> progress.update(round + done + " ops", done / (double) total), observers));
      }
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
    int[] laneOps = new int[lanes.size()];
    for (int i = 0; i < results.size(); i++) {
      Campaign.LaneResult lane = results.get(i);
      Campaign.Result result = lane.result();
      allOps += result.ops();
      guests += result.guests();
      laneOps[i % lanes.size()] += result.ops(); // each round lists the lanes in order
      classes.addAll(result.coverage().keySet());
      for (Differential.Shrunk shrunk : result.divergences()) {
        points.add(ClaimResult.FailurePoint.of(shrunk, lane.lane().platforms()));
        failures.add(lane.lane().name() + ": " + shrunk.failure() + "; replay: ./shadowref replay " + shrunk.trace());
      }
    }
    for (int i = 0; i < lanes.size(); i++) {
      Lane lane = lanes.get(i);
      perLane.add(String.format(Locale.ROOT, "%s [%s%s] %,d ops", lane.name(), String.join(", ", lane.platforms().names()),
          lane.platforms().tlbJudged() ? " with a TLB" : "", laneOps[i]));
    }
    String closure = topUps == 0 ? "" : String.format(Locale.ROOT, " (with %d top-up round%s of %,d ops on other seeds, "
        + "for coverage closure)", topUps, topUps == 1 ? "" : "s", ops / 4);
    String evidence = String.format(Locale.ROOT, "seed %d: %,d ops on %d guests in %d lanes on %d threads%s, %d outcome classes: %s",
        seed, allOps, guests, lanes.size(), THREADS, closure, classes.size(), String.join("; ", perLane));
    String detail = failures.isEmpty() ? "no divergence, no invariant broken" : String.join("; ", failures);
    return new ClaimResult(claim(), evidence, failures.isEmpty(), NativeOracleClaim.seconds(start), detail, points);
  }
}
