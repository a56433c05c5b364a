package org.shadowref.check.diff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import java.util.Random;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.junit.jupiter.api.Test;
import org.shadowref.check.gen.GeneratedCase;
import org.shadowref.check.gen.Guests;
import org.shadowref.shadow.core.SeededBug;

/**
 * Handlers that do less work give the guest native's results (every access emulated), so only the
 * progress decision table sees them: each is caught as a {@link Differential#PROGRESS} failure,
 * and the clean engines keep the table on the same cases.
 */
class ProgressTest {
  private static final int TRIES = 40;

  /** The first failure of {@code platforms} over generated cases from seed 1 on, or null. */
  private static Differential.@Nullable Failure firstFailure(PlatformSet platforms) {
    for (int seed = 1; seed <= TRIES; seed++) {
      GeneratedCase generated = Guests.generate(new Random(seed), 30, null);
      Differential.Failure failure = Differential.check(platforms, generated.world(), generated.ops());
      if (failure != null) {
        return failure;
      }
    }
    return null;
  }

  @Test
  void aHandlerThatBuildsNoShadowBreaksProgress() {
    Differential.Failure failure = firstFailure(StandardPlatforms.withReferenceBug(SeededBug.NO_SHADOW_BUILT));
    assertNotNull(failure, "NO_SHADOW_BUILT must be caught");
    assertEquals(Differential.PROGRESS, failure.property(), failure.toString());
  }

  @Test
  void aHandlerThatNeverSeesTheRetrySucceedBreaksProgress() {
    Differential.Failure failure = firstFailure(StandardPlatforms.withReferenceBug(SeededBug.HARDWARE_NEVER_ALLOWS));
    assertNotNull(failure, "HARDWARE_NEVER_ALLOWS must be caught");
    assertEquals(Differential.PROGRESS, failure.property(), failure.toString());
  }

  @Test
  void aDeviceAccessThatLeavesNoMarkerBreaksProgress() {
    Differential.Failure failure = firstFailure(StandardPlatforms.withOptimizedBug(SeededBug.MMIO_MARKER_NOT_LEFT));
    assertNotNull(failure, "MMIO_MARKER_NOT_LEFT must be caught");
    assertEquals(Differential.PROGRESS, failure.property(), failure.toString());
  }

  @Test
  void theCleanEnginesKeepTheTable() {
    for (PlatformSet platforms : List.of(StandardPlatforms.all(), StandardPlatforms.withOptimizedBug(null))) {
      assertNull(firstFailure(platforms), platforms.names().toString());
    }
  }
}
