package org.shadowref.check.suite;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.shadowref.check.diff.CopyCheck;
import org.shadowref.check.diff.PlatformSet;
import org.shadowref.check.gen.GeneratedCase;
import org.shadowref.check.gen.Guests;
import org.shadowref.shadow.Platform;

/**
 * Copies behave as their originals (what the property tests' Forks checks, and what the explorer
 * and the shrinker rely on): on generated guests, a copy of every platform taken midway, and a
 * discarded copy overwritten midway, give the original's results and state to the end.
 */
public final class CopiesClaim implements ClaimCheck {
  /** Generated cases at the standard preset (scaled by the preset). */
  private static final int BASE_CASES = 60;
  private static final int MAX_OPS = 30;
  private static final long SEED = 1;

  private final PlatformSet platforms;

  public CopiesClaim(PlatformSet platforms) {
    this.platforms = platforms;
  }

  @Override
  public String claim() {
    return "a copy of every platform taken midway behaves as the original";
  }

  @Override
  public ClaimResult run(Preset preset, Progress progress) {
    long start = System.nanoTime();
    int cases = (int) preset.scaled(BASE_CASES);
    List<String> failures = new ArrayList<>();
    long ops = 0;
    for (int i = 0; i < cases && failures.isEmpty(); i++) {
      Random random = new Random(SEED + i);
      GeneratedCase generated = Guests.generate(random, 2 + random.nextInt(MAX_OPS - 1), null);
      ops += generated.ops().size();
      for (Platform platform : platforms.build(generated.world())) {
        String differs;
        try {
          differs = CopyCheck.copyMidwayBehavesAlike(platform, generated.ops());
        } catch (RuntimeException crash) {
          differs = platform.name() + " threw " + crash;
        }
        if (differs != null) {
          failures.add("case seed " + (SEED + i) + ": " + differs);
          break;
        }
      }
      progress.update("case " + i, i / (double) cases);
    }
    String evidence = String.format(Locale.ROOT, "seeds %d..%d: %d generated guests, %,d ops, on %s",
        SEED, SEED + cases - 1, cases, ops, String.join(", ", platforms.names()));
    String detail = failures.isEmpty() ? "every copy and overwritten copy agreed with its original" : failures.get(0);
    return new ClaimResult(claim(), evidence, failures.isEmpty(), NativeOracleClaim.seconds(start), detail, List.of());
  }
}
