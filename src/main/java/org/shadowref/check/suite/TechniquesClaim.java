package org.shadowref.check.suite;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.shadowref.check.diff.Differential;
import org.shadowref.check.diff.PlatformSet;
import org.shadowref.check.diff.StandardPlatforms;
import org.shadowref.check.gen.GeneratedCase;
import org.shadowref.check.gen.Guests;
import org.shadowref.shadow.GuestOp;
import org.shadowref.shadow.Platform;
import org.shadowref.shadow.optimized.OptimizedConfig;
import org.shadowref.shadow.optimized.OptimizedEngine;

/**
 * The optimized engine equals the reference engine and native step by step in every combination
 * of its techniques (what OptimizedPropertyTest checks): each generated case draws the switches
 * (hash index, magic entries, prefetch distance, reverse maps, pinned tops, previous roots, the
 * unpinning of reused tops, 2-on-2) and a roomy or smallest pool, and every step must agree with
 * native, reference and optimized alike, and keep every invariant. Some case must run the pool short (else eviction went unjudged).
 */
public final class TechniquesClaim implements ClaimCheck {
  /** Generated cases at the standard preset (scaled by the preset). */
  private static final int BASE_CASES = 400;
  private static final int MAX_OPS = 60;
  /**
   * Frames for two vCPUs' largest tops (2-on-3: five each) and one fault's chain of new shadows:
   * an instruction whose pages need two chains is emulated once one drops the other's
   * (SmallPoolTest), so this smallest pool also runs that path.
   */
  public static final int SMALLEST_POOL = 18;
  private static final int[] PREFETCH_DISTANCES = {0, 1, 8, 511};
  private static final long SEED = 1;

  @Override
  public String claim() {
    return "the optimized engine equals the reference in every combination of techniques";
  }

  /** The configuration case {@code random} draws: every switch at random, the pool roomy or smallest. */
  static OptimizedConfig draw(Random random) {
    return switched(random.nextInt()).build();
  }

  /**
   * A configuration with each technique on or off by one bit of {@code switches} (bits 0 to 14; bits
   * 2 and 3 choose the prefetch distance, bit 5 the smallest pool), to draw at random: this claim
   * and OptimizedPropertyTest draw the same way.
   */
  public static OptimizedConfig.Builder switched(int switches) {
    return OptimizedConfig.builder()
        .twoOnTwo((switches & 128) != 0)
        .hashIndex((switches & 1) != 0)
        .magicEntries((switches & 2) != 0)
        .prefetch(PREFETCH_DISTANCES[(switches >>> 2) & 3])
        .reverseMaps((switches & 16) != 0)
        .poolFrames((switches & 32) != 0 ? SMALLEST_POOL : 0)
        .pinTops((switches & 64) != 0)
        .earlyUnshadow((switches & 256) != 0)
        .writeFlooding((switches & 512) != 0)
        .fastEmulation((switches & 1024) != 0)
        .previousRoots((switches & 2048) != 0)
        .unpinReusedTops((switches & 4096) != 0)
        .emulateSecondHalf((switches & 8192) != 0)
        .racedWalks((switches & 16384) != 0);
  }

  @Override
  public ClaimResult run(Preset preset, Progress progress) {
    long start = System.nanoTime();
    int cases = (int) preset.scaled(BASE_CASES);
    List<String> failures = new ArrayList<>();
    long ops = 0;
    long reclaims = 0;
    for (int i = 0; i < cases && failures.isEmpty(); i++) {
      Random random = new Random(SEED + i);
      OptimizedConfig config = draw(random);
      GeneratedCase generated = Guests.generate(random, 1 + random.nextInt(MAX_OPS), null);
      PlatformSet platforms = StandardPlatforms.withReferenceAndOptimized(config);
      Differential.Stepper stepper = new Differential.Stepper(platforms, generated.world());
      for (GuestOp op : generated.ops()) {
        Differential.Failure failure = stepper.step(op);
        ops++;
        if (failure != null) {
          failures.add("case seed " + (SEED + i) + " (" + config + "): " + failure);
          break;
        }
      }
      for (Platform platform : stepper.platforms()) {
        if (platform instanceof OptimizedEngine optimized) {
          reclaims += optimized.counters().poolReclaims();
        }
      }
      progress.update("case " + i, i / (double) cases);
    }
    if (failures.isEmpty() && reclaims == 0) {
      failures.add("vacuous: no case ever ran the pool short");
    }
    String evidence = String.format(Locale.ROOT,
        "seeds %d..%d: %d generated guests, each with its own combination of techniques, %,d ops on native, "
            + "reference and optimized; the pool ran short %,d times", SEED, SEED + cases - 1, cases, ops, reclaims);
    String detail = failures.isEmpty() ? "no divergence, no invariant broken" : failures.get(0);
    return new ClaimResult(claim(), evidence, failures.isEmpty(), NativeOracleClaim.seconds(start), detail, List.of());
  }
}
