package org.shadowref.shadow.optimized;

import org.checkerframework.checker.initialization.qual.UnderInitialization;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.arch.Addr;
import org.shadowref.arch.EntryBits;
import org.shadowref.arch.PagingMode;
import org.shadowref.arch.qual.Maddr;
import org.shadowref.arch.qual.Mfn;
import org.shadowref.shadow.GuestMachine;
import org.shadowref.shadow.core.SeededBug;
import org.shadowref.shadow.core.Shadow;
import org.shadowref.shadow.core.ShadowType;

/**
 * Giving up a top whose frame the guest reuses as data (Xen's unshadowing of an unused top-level
 * table in {@code sh_page_fault}'s emulation path, through {@code sh_remove_shadows}, which unpins
 * it): a process exits, its kernel frees the top-level page table and reuses the frame, but the
 * top stays pinned ({@link PinnedTops}) or kept ({@link PreviousRoots}), so the frame stays
 * write-protected and every store into it traps, is emulated and revalidates a shadow nobody runs
 * on. Xen learns that a top is dying from the guest ({@code HVMOP_pagetable_dying}); here the
 * store itself tells: an emulated store into the frame of a top pinned or kept, on which no vCPU
 * runs, that no kernel makes to a live top-level table, gives the top up. Its frame is unshadowed
 * as the next operation begins (the pin and every previous-roots list let it go, see {@link
 * ReverseMapping#unshadow}), so later stores run on the hardware. Unshadowing is always safe:
 * the store is revalidated first, and a CR3 load back builds the top again. Switch: {@link
 * OptimizedConfig#unpinReusedTops}.
 */
final class ReusedTops extends Heuristic {

  ReusedTops(@UnderInitialization OptimizedEngine engine, OptimizedConfig config, GuestMachine guest, ShadowPool pool,
      Counters counters) {
    super(engine, config, guest, pool, counters);
  }

  /**
   * An emulated store of {@code size} bytes at {@code maddr} is in memory: says whether it gives
   * up an idle top of its frame (which is then unshadowed as the next operation begins).
   */
  boolean givesUp(@Maddr long maddr, int size) {
    if (!config.unpinReusedTops()) {
      return false;
    }
    @Mfn long mfn = Addr.mfnOf(maddr);
    if (mfn < 0 || mfn >= guest.machine().frameCount() || !engine.hasShadows(mfn) || runsOn(mfn)) {
      return false;
    }
    Shadow idle = idleTopOf(mfn);
    if (idle == null || !looksLikeData(idle, maddr, size)) {
      return false;
    }
    pool.setPendingUnshadow(mfn);
    counters.reusedTopsGivenUp++;
    return true;
  }

  /** Whether some vCPU runs on a top derived from {@code mfn}: the address space is alive. */
  private boolean runsOn(@Mfn long mfn) {
    for (int vcpu = 0; vcpu < guest.vcpuCount(); vcpu++) {
      Shadow root = pool.rootShadow(vcpu);
      if (root != null && engine.derivation().derivedFrom(root, mfn)) {
        return true;
      }
    }
    return false;
  }

  /** A top derived from {@code mfn} that a pin or a previous-roots list holds, or null. */
  private @Nullable Shadow idleTopOf(@Mfn long mfn) {
    for (int i = 0; i < pool.pinnedCount(); i++) {
      Shadow pinned = pool.pinned(i);
      if (pinned.type().isTop() && engine.derivation().derivedFrom(pinned, mfn)) {
        return pinned;
      }
    }
    for (int vcpu = 0; vcpu < guest.vcpuCount(); vcpu++) {
      for (int i = 0; i < PreviousRoots.COUNT; i++) {
        Shadow kept = pool.previousRoot(vcpu, i);
        if (kept != null && engine.derivation().derivedFrom(kept, mfn)) {
          return kept;
        }
      }
    }
    return null;
  }

  /**
   * Whether the store, now in memory, is one no kernel makes to a live top-level table: it is not
   * a power of two wide and aligned to its width (an entry the walker may read at any time is written whole, in one
   * aligned store of its width or, for a PAE entry, two aligned halves), or it leaves a guest entry
   * of the top present with reserved bits set (the CPU would fault on every walk through it).
   * Narrow aligned stores count as entry updates: kernels clear and set bits of entries with byte
   * operations (Linux's {@code clear_bit} on a directory entry).
   */
  private boolean looksLikeData(Shadow top, @Maddr long maddr, int size) {
    ShadowType type = top.type();
    if (Integer.bitCount(size) != 1 || Addr.pageOffset(maddr) % size != 0) {
      return true;
    }
    PagingMode mode = type.mode().guestMode();
    int entryBytes = mode.entryBytes();
    long first = Addr.pageOffset(maddr) / entryBytes;
    long last = Math.min((Addr.pageOffset(maddr) + size - 1) / entryBytes, Addr.PAGE_SIZE / entryBytes - 1);
    @Mfn long mfn = Addr.mfnOf(maddr);
    for (long index = first; index <= last; index++) {
      long entry = guest.machine().read(Addr.maddrOf(mfn, index * entryBytes), entryBytes);
      if ((entry & EntryBits.P) != 0 && !engine.derivation().usable(entry, mode, type.guestLevel(), top.key())) {
        return true;
      }
    }
    return false;
  }

  /**
   * Seeded bug {@link SeededBug#REUSED_TOP_STORE_NOT_REVALIDATED}: the store that gives a top up
   * is not revalidated (its shadows are about to go).
   */
  boolean skipsRevalidation(boolean gaveUp) {
    return gaveUp && config.has(SeededBug.REUSED_TOP_STORE_NOT_REVALIDATED);
  }
}
