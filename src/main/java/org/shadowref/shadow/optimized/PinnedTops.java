package org.shadowref.shadow.optimized;

import org.checkerframework.checker.initialization.qual.NotOnlyInitialized;
import org.checkerframework.checker.initialization.qual.UnderInitialization;
import org.shadowref.shadow.core.Shadow;

/**
 * Pinned tops (Xen's pinned shadows, {@code sh_pin}/{@code sh_unpin}): the top-level shadow of every
 * address space the guest has run on keeps a reference of its own, so a CR3 load back to it finds
 * its shadows built. Pins go, least recently used first, when the pool runs short ({@link
 * PoolReclaim}), and when the frame is unshadowed. Switch: {@link OptimizedConfig#pinTops}. The
 * pinned list lives in the {@link ShadowPool}.
 */
final class PinnedTops {
  @NotOnlyInitialized private final OptimizedEngine engine;
  private final OptimizedConfig config;
  private final ShadowPool pool;

  PinnedTops(@UnderInitialization OptimizedEngine engine, OptimizedConfig config, ShadowPool pool) {
    this.engine = engine;
    this.config = config;
    this.pool = pool;
  }

  /** A vCPU has just installed {@code top}: pin it, or make it the most recently used pin. */
  void installed(Shadow top) {
    if (config.pinTops()) {
      pool.pin(top);
    }
  }

  /** Drops {@code top}'s pin and with it the pin's reference ({@code sh_unpin}), if it has one. */
  void unpin(Shadow top) {
    if (pool.unpin(top)) {
      engine.release(top);
    }
  }

  /** Lets the least recently used pin go; returns whether there was one. */
  boolean unpinLeastRecent() {
    Shadow top = pool.leastRecentlyPinned();
    if (top == null) {
      return false;
    }
    unpin(top);
    return true;
  }
}
