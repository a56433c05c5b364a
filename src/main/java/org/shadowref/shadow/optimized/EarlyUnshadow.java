package org.shadowref.shadow.optimized;

import org.checkerframework.checker.initialization.qual.UnderInitialization;
import org.shadowref.arch.Addr;
import org.shadowref.arch.qual.Maddr;
import org.shadowref.arch.qual.Mfn;
import org.shadowref.shadow.GuestMachine;
import org.shadowref.shadow.core.SeededBug;

/**
 * Xen's early unshadow ({@code SHOPT_EARLY_UNSHADOW}, {@code check_for_early_unshadow}): a guest
 * that clears entry after entry of a page table, as a process exit does, is tearing it down. When a
 * vCPU's emulated store clears an entry of the table its previous emulated store cleared one of,
 * the table is unshadowed (as the next operation begins), so the rest of the teardown runs on the
 * hardware instead of trapping and being emulated store by store. Unshadowing is always safe (faults rebuild what is needed); a
 * table a vCPU runs on keeps its top, as every unshadow does. Switch: {@link
 * OptimizedConfig#earlyUnshadow}. The last table cleared is per vCPU, in the {@link ShadowPool}.
 */
final class EarlyUnshadow extends Heuristic {

  EarlyUnshadow(@UnderInitialization OptimizedEngine engine, OptimizedConfig config, GuestMachine guest, ShadowPool pool,
      Counters counters) {
    super(engine, config, guest, pool, counters);
  }

  /**
   * vCPU {@code vcpu}'s emulated store at {@code storeAt} to the page table in {@code tableMfn} is
   * done (and revalidated): a clearing store right after one to the same table unshadows it.
   * "Clearing" is read off memory: the four bytes the store began in, which hold P in every entry
   * format, are zero now.
   */
  void afterTableWrite(int vcpu, @Mfn long tableMfn, @Maddr long storeAt) {
    if (!config.earlyUnshadow()) {
      return;
    }
    if (guest.machine().read(Addr.maddr(storeAt & ~3L), 4) != 0) {
      pool.setLastClearedTable(vcpu, -1);
      return;
    }
    if (pool.lastClearedTable(vcpu) != tableMfn) {
      pool.setLastClearedTable(vcpu, tableMfn);
      return;
    }
    pool.setLastClearedTable(vcpu, -1);
    pool.setPendingUnshadow(tableMfn);
    counters.earlyUnshadows++;
  }

  /**
   * Seeded bug {@link SeededBug#EARLY_UNSHADOW_SKIPS_REVALIDATION}: whether the store of {@code
   * value} to {@code mfn} by the vCPU holding the shadow lock is the one that will unshadow its
   * table, so that a buggy engine skips revalidating it (its shadows are about to go, except a top
   * a vCPU runs on, which keeps the stale entry).
   */
  boolean skipsRevalidation(@Mfn long mfn, long value) {
    int vcpu = engine.lockOwner();
    return config.has(SeededBug.EARLY_UNSHADOW_SKIPS_REVALIDATION) && config.earlyUnshadow() && value == 0
        && vcpu >= 0 && pool.lastClearedTable(vcpu) == mfn;
  }
}
