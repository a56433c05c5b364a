package org.shadowref.check.diff;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.Random;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.junit.jupiter.api.Test;
import org.shadowref.arch.PagingMode;
import org.shadowref.check.gen.Guests;
import org.shadowref.shadow.optimized.OptimizedEngine;
import org.shadowref.shadow.reference.ReferenceEngine;

/**
 * The killer PIT runs against every mutant of the engines and the MMU ({@code mvn -Ppit verify}):
 * the step-by-step differential judgement that {@code shadowref check}'s campaign makes, on
 * generated guests, without the shrinking a campaign does after a divergence (PIT only needs the
 * first failure). One test per platform configuration, so PIT stops at the first that kills and
 * runs only the configurations that execute a mutated line. In the plain suite it is one more
 * campaign that must hold.
 */
class CampaignKillsMutantsTest {
  /** Operations per configuration: enough to reach every handler case, small enough for PIT. */
  private static final int OPS = 1_200;
  private static final int OPS_PER_GUEST = 60;

  @Test
  void referenceAndOptimizedByDefault() {
    campaign(StandardPlatforms.all(), 11, null);
  }

  @Test
  void twoLevelGuestsOnTwoLevelShadows() {
    campaign(StandardPlatforms.withReference(ReferenceEngine.Config.DEFAULT.withTwoOnTwo(true))
        .with("optimized-2on2", StandardPlatforms.optimizedBuilder(OptimizedEngine.Config.DEFAULT.withTwoOnTwo(true))),
        12, PagingMode.TWO_LEVEL);
  }

  @Test
  void everyTechniqueOffAndATinyPool() {
    campaign(StandardPlatforms.withOptimized(OptimizedEngine.Config.PLAIN)
        .with("optimized-tiny-pool", StandardPlatforms.optimizedBuilder(
            OptimizedEngine.Config.DEFAULT.withPoolFrames(StandardPlatforms.MUTANT_POOL_FRAMES))),
        13, null);
  }

  @Test
  void paeGuests() {
    campaign(StandardPlatforms.all(), 14, PagingMode.PAE);
  }

  @Test
  void fourLevelGuests() {
    campaign(StandardPlatforms.all(), 15, PagingMode.FOUR_LEVEL);
  }

  private static void campaign(PlatformSet platforms, long seed, @Nullable PagingMode mode) {
    Random random = new Random(seed);
    int done = 0;
    while (done < OPS) {
      Guests.Stream stream = new Guests.Stream(random, mode);
      Differential.Stepper stepper = new Differential.Stepper(platforms, stream.start.world());
      for (int i = 0; i < OPS_PER_GUEST; i++, done++) {
        Differential.Failure failure = stepper.step(stream.next());
        if (failure != null) {
          fail("seed " + seed + ", guest op " + i + ": " + failure);
        }
      }
    }
  }
}
