package org.shadowref.shadow.optimized;

import org.checkerframework.checker.initialization.qual.NotOnlyInitialized;
import org.checkerframework.checker.initialization.qual.UnderInitialization;

/**
 * The bounded pool's eviction ({@code shadow_prealloc}): before a fault may need new shadows, make
 * sure the pool has the frames, first by letting pinned tops go, least recently used first, then
 * the tops vCPUs keep as previous roots, oldest first, and if that is not enough by dropping every shadow below the tops ({@code shadow_blow_tables}), which
 * later faults rebuild on demand. Switch: {@link OptimizedConfig#poolFrames}, the pool's size (0:
 * every frame the machine keeps for the hypervisor).
 */
final class PoolReclaim {
  @NotOnlyInitialized private final OptimizedEngine engine;
  private final ShadowPool pool;
  @NotOnlyInitialized private final PinnedTops pins;
  @NotOnlyInitialized private final PreviousRoots previousRoots;
  private final Counters counters;

  PoolReclaim(@UnderInitialization OptimizedEngine engine, ShadowPool pool, @UnderInitialization PinnedTops pins,
      @UnderInitialization PreviousRoots previousRoots, Counters counters) {
    this.engine = engine;
    this.pool = pool;
    this.pins = pins;
    this.previousRoots = previousRoots;
    this.counters = counters;
  }

  /** Makes sure {@code frames} shadow frames are free. */
  void preallocate(int frames) {
    while (pool.freeFrames() < frames && pins.unpinLeastRecent()) {
      counters.unpinned++;
      engine.events().poolReclaimed(frames, false);
    }
    while (pool.freeFrames() < frames && previousRoots.releaseOldest()) {
      engine.events().poolReclaimed(frames, false);
    }
    if (pool.freeFrames() >= frames) {
      return;
    }
    counters.poolReclaims++;
    engine.events().poolReclaimed(frames, true);
    engine.dropShadowsBelowTops(frames);
  }
}
