package org.shadowref.shadow.optimized;

import org.checkerframework.checker.initialization.qual.NotOnlyInitialized;
import org.checkerframework.checker.initialization.qual.UnderInitialization;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.shadow.core.SeededBug;
import org.shadowref.shadow.core.Shadow;
import org.shadowref.shadow.core.ShadowKey;

/**
 * KVM's cache of previous roots ({@code prev_roots} in its MMU, filled and searched by {@code
 * kvm_mmu_new_pgd} through {@code fast_pgd_switch}): each vCPU keeps the tops of the last {@link
 * #COUNT} address spaces it left, each with a reference of its own, most recent first. A CR3 load
 * or control change whose top is one of them, by its whole key (the guest root table and the
 * role: shadow mode and NXE/PSE flavour), runs on it again, and the top it leaves takes its place
 * at the front; a top that falls off the back drops its reference. A top unshadowed while kept is
 * let go, and one unshadowed while the vCPU runs on it is not kept when the vCPU leaves it (KVM's
 * obsolete roots). Unlike KVM, whose pool is large and never zaps a page a root count holds, the
 * bounded pool lets kept tops go, oldest first, before it tears down the shadows below the tops
 * ({@link PoolReclaim}). Switch: {@link OptimizedConfig#previousRoots}; the lists live in the {@link
 * ShadowPool}.
 */
final class PreviousRoots {
  /** Tops each vCPU keeps: KVM's {@code KVM_MMU_NUM_PREV_ROOTS}. */
  static final int COUNT = 3;

  @NotOnlyInitialized private final OptimizedEngine engine;
  private final OptimizedConfig config;
  private final ShadowPool pool;
  private final Counters counters;

  PreviousRoots(@UnderInitialization OptimizedEngine engine, OptimizedConfig config, ShadowPool pool, Counters counters) {
    this.engine = engine;
    this.config = config;
    this.pool = pool;
    this.counters = counters;
  }

  /**
   * vCPU {@code vcpu} needs a top of {@code wanted}: the one it keeps, taken off its list with the
   * reference that now becomes its CR3's, or null when it keeps none.
   */
  @Nullable Shadow reuse(int vcpu, ShadowKey wanted) {
    if (!config.previousRoots()) {
      return null;
    }
    for (int i = 0; i < COUNT; i++) {
      Shadow kept = pool.previousRoot(vcpu, i);
      if (kept == null) {
        return null;
      }
      if (sameRole(kept.key(), wanted)) {
        counters.reusedRoots++;
        return pool.takePreviousRoot(vcpu, i);
      }
    }
    return null;
  }

  /**
   * The whole key: a top made for another shadow mode or flavour derives its entries otherwise
   * (seeded bug {@link SeededBug#CACHED_ROOT_IGNORES_ROLE}: the guest root table alone, as if CR3
   * named an address space's shadows whatever the paging controls).
   */
  private boolean sameRole(ShadowKey kept, ShadowKey wanted) {
    return config.has(SeededBug.CACHED_ROOT_IGNORES_ROLE) ? kept.gfn() == wanted.gfn() : kept.equals(wanted);
  }

  /**
   * vCPU {@code vcpu} has left {@code old}: keeps it, with the CR3's reference, as the most recent
   * of its previous roots, and lets the oldest go if there are more than {@link #COUNT}. Returns
   * false, keeping nothing, when the technique is off or the top was unshadowed while the vCPU
   * ran on it.
   */
  boolean keep(int vcpu, Shadow old) {
    boolean obsolete = pool.rootObsolete(vcpu);
    pool.setRootObsolete(vcpu, false);
    if (!config.previousRoots() || obsolete) {
      return false;
    }
    Shadow evicted = pool.keepPreviousRoot(vcpu, old);
    if (evicted != null && !config.has(SeededBug.EVICTED_ROOT_KEEPS_REFERENCE)) {
      engine.release(evicted);
    }
    return true;
  }

  /**
   * Every shadow of a guest frame is being unshadowed, {@code victim} among them: no vCPU keeps it
   * any more, and a vCPU running on it will not keep it when it leaves.
   */
  void unshadowing(Shadow victim) {
    for (int vcpu = 0; vcpu < engine.guest().vcpuCount(); vcpu++) {
      if (pool.rootShadow(vcpu) == victim) {
        pool.setRootObsolete(vcpu, true);
      }
      for (int i = 0; i < COUNT; i++) {
        if (pool.previousRoot(vcpu, i) == victim) {
          engine.release(pool.takePreviousRoot(vcpu, i));
          break; // a vCPU keeps a top once
        }
      }
    }
  }

  /** Lets the previous root kept longest ago, of any vCPU, go; returns whether there was one. */
  boolean releaseOldest() {
    int vcpu = pool.vcpuWithOldestPreviousRoot();
    if (vcpu < 0) {
      return false;
    }
    engine.release(pool.takePreviousRoot(vcpu, pool.previousRootCount(vcpu) - 1));
    return true;
  }
}
