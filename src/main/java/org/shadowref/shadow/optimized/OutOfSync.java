package org.shadowref.shadow.optimized;

import org.checkerframework.checker.initialization.qual.NotOnlyInitialized;
import org.checkerframework.checker.initialization.qual.UnderInitialization;
import org.shadowref.arch.Addr;
import org.shadowref.arch.PagingMode;
import org.shadowref.arch.qual.Gfn;
import org.shadowref.arch.qual.Gva;
import org.shadowref.arch.qual.Mfn;
import org.shadowref.shadow.GuestMachine;
import org.shadowref.shadow.ShadowEvents;
import org.shadowref.shadow.Vcpu;
import org.shadowref.shadow.core.Derivation;
import org.shadowref.shadow.core.SeededBug;
import org.shadowref.shadow.core.Shadow;
import org.shadowref.shadow.core.ShadowId;
import org.shadowref.shadow.core.ShadowType;

/**
 * Out-of-sync l1 shadows (Xen's {@code SHOPT_OUT_OF_SYNC}): a guest l1 table the guest keeps
 * writing is let out of sync, its mappings writable, so its next stores need no emulation; its
 * shadows may then be stale, as a TLB may be, until the guest stops tolerating staleness (a CR3
 * load, a control change, a flush; INVLPG for one page) or the table is needed at a higher level.
 * A snapshot of the table taken when it went out of sync tells the resync which entries changed.
 * As in Xen, each vCPU holds at most {@link ShadowPool#OUT_OF_SYNC_SLOTS_PER_VCPU} tables out of
 * sync, those its own stores let go, each with its snapshot; a fourth makes one of them come back
 * first. Switch: {@link OptimizedConfig#outOfSync}. The slots and snapshots live in the {@link
 * ShadowPool}.
 */
final class OutOfSync {
  /** Emulated stores to a guest l1 table before it is let out of sync. */
  private static final int OUT_OF_SYNC_AFTER_WRITES = 2;

  @NotOnlyInitialized private final OptimizedEngine engine;
  private final OptimizedConfig config;
  private final GuestMachine guest;
  private final ShadowPool pool;
  /** Scratch for a resync: the out-of-sync table's words as the guest holds them now. */
  private final long[] resyncWords = new long[(int) (Addr.PAGE_SIZE / 8)];

  OutOfSync(@UnderInitialization OptimizedEngine engine, OptimizedConfig config, GuestMachine guest, ShadowPool pool) {
    this.engine = engine;
    this.config = config;
    this.guest = guest;
    this.pool = pool;
  }

  /** Whether any table is out of sync now (the common answer, no, is one field read). */
  boolean any() {
    return pool.outOfSyncCount() > 0;
  }

  /** Whether the guest table in {@code mfn} is out of sync (its mappings writable, its shadows stale). */
  boolean isOutOfSync(@Mfn long mfn) {
    return config.outOfSync() && pool.outOfSyncSlot(mfn) >= 0;
  }

  /** Whether the shadow entry at {@code address} is in an l1 shadow of an out-of-sync table. */
  boolean inOutOfSyncTable(long address) {
    if (!any()) {
      return false;
    }
    Shadow shadow = pool.owner(Addr.mfnOf(Addr.maddr(address)));
    return shadow != null && shadowsOutOfSyncTable(shadow);
  }

  /** Whether {@code shadow} is derived from a guest table that is out of sync. */
  boolean shadowsOutOfSyncTable(Shadow shadow) {
    @Gfn long gfn = shadow.gfn();
    return shadow.type().shadowsGuestFrame() && guest.p2m().type(gfn).isRam() && isOutOfSync(guest.p2m().mfn(gfn));
  }

  // ---------------------------------------------------------------------------------------------
  // When the guest stops tolerating staleness

  /** A CR3 load: every out-of-sync table comes back in sync. */
  void atCr3Load() {
    if (!config.has(SeededBug.NO_RESYNC_ON_CR3)) {
      resyncAll();
    }
  }

  /**
   * INVLPG ends staleness for one page only, as on a CPU, whose TLB may keep every other
   * translation: refresh that page's l1e if it lies in an out-of-sync table, and let the table
   * stay out of sync (as Xen's sh_invlpg does), so the guest's next PTE stores still need no
   * emulation.
   */
  void atInvlpg(Vcpu vcpu, @Gva long va) {
    if (!config.has(SeededBug.NO_RESYNC_ON_INVLPG)) {
      refreshL1e(vcpu, va);
    }
  }

  /** A fault invalidates the page's translation: an out-of-sync l1e for it must be fresh now. */
  void atFault(Vcpu vcpu, @Gva long va) {
    if (any() && !config.has(SeededBug.NO_REFRESH_ON_FAULT)) {
      engine.shadowL1eFor(vcpu, va);
    }
  }

  /**
   * Re-derives the shadow l1e the hardware would use for {@code va}, if the shadows reach one and
   * it lies in an l1 shadow of an out-of-sync table. Follows the present shadow entries only:
   * where the chain stops, the hardware has no translation to be stale, and a fault refreshes it.
   */
  private void refreshL1e(Vcpu vcpu, @Gva long va) {
    if (!any()) {
      return;
    }
    Shadow shadow = pool.rootShadow(vcpu.id());
    if (shadow == null) {
      return;
    }
    PagingMode hostMode = shadow.type().mode().hostMode();
    long linear = hostMode.truncate(va);
    int part = 0;
    for (int level = hostMode.levels(); level >= 2; level--) {
      int index = shadow.type().entryIndex(va, level, vcpu.regs());
      long entry = engine.readEntry(shadow, part, index);
      if (!Shadow.isPresent(entry)) {
        return;
      }
      @Mfn long child = shadow.type().frameOf(entry);
      shadow = engine.ownerOf(shadow.type(), entry);
      part = shadow.partOf(child);
    }
    int index = hostMode.index(linear, 1);
    if (shadowsOutOfSyncTable(shadow)) {
      engine.setEntry(shadow, part, index, engine.deriveLeaf(shadow, part, index));
    }
  }

  /** Brings every out-of-sync table back in sync ({@code sh_resync_all}). */
  void resyncAll() {
    if (!config.outOfSync()) {
      return;
    }
    for (int slot = 0; slot < pool.outOfSyncSlots(); slot++) {
      if (pool.outOfSyncFrame(slot) >= 0) {
        resync(slot);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Going out of sync and coming back

  /**
   * {@code sh_unsync}: counts an emulated store to the page table in {@code mfn} and, once the
   * guest has written it often enough and it is shadowed only as an l1 table, lets it go out of
   * sync: its mappings become writable, so the guest's next stores need no emulation. Returns
   * whether it did (the faulting store then runs on the hardware).
   */
  boolean unsyncAfterWrite(@Mfn long mfn) {
    if (!config.outOfSync() || mfn < 0 || mfn >= guest.machine().frameCount()) {
      return false;
    }
    if (pool.countTableWrite((int) mfn) < OUT_OF_SYNC_AFTER_WRITES
        || (!onlyL1Shadows(mfn) && !config.has(SeededBug.UNSYNC_ANY_LEVEL))) {
      return false;
    }
    int vcpu = engine.lockOwner(); // the vCPU whose store this is: the table takes one of its slots
    int slot = pool.freeOutOfSyncSlot(vcpu);
    if (slot < 0) {
      slot = pool.outOfSyncVictim(vcpu); // each of its slots taken: one comes back in sync, in turn
      engine.events().resyncing(ShadowEvents.ResyncCause.SLOT_FULL);
      if (!config.has(SeededBug.OUT_OF_SYNC_SLOT_REUSED_WITHOUT_RESYNC)) {
        resync(slot);
      }
    }
    pool.setOutOfSync(slot, mfn);
    // Every shadow entry of the table derives from the words it holds now (it was in sync), so
    // a resync need re-derive only the words that change from here on, or whose shadow entries do.
    guest.machine().copyFrameWords(mfn, pool.outOfSyncSnapshot(slot));
    pool.clearRewritten(slot);
    engine.revalidateMappingsOf(mfn); // its mappings may be writable now
    return true;
  }

  /**
   * Whether the handler may let the table in {@code mfn} go out of sync at a store (it is shadowed
   * only as an l1): fast emulation leaves such stores to the full handler, which decides (as Xen
   * unsyncs an l1 rather than emulate its stores).
   */
  boolean mayUnsync(@Mfn long mfn) {
    return config.outOfSync() && (config.has(SeededBug.UNSYNC_ANY_LEVEL) || onlyL1Shadows(mfn));
  }

  /** Whether every shadow of the guest table in {@code mfn} is an l1 table shadow (and one exists). */
  private boolean onlyL1Shadows(@Mfn long mfn) {
    return engine.everyShadowIs(mfn, type -> !type.holdsPointers() && type.role() == ShadowType.Role.TABLE);
  }

  /**
   * {@code sh_resync}: write-protects the table in slot {@code slot} again and recomputes the
   * entries of its shadows that may be stale: those derived from a word the guest changed since
   * the snapshot, or whose shadow entry was written since (refreshed at an INVLPG or a fault,
   * prefetched: then from a word that may differ from the snapshot's). Every other entry still
   * holds what the snapshot's word, which is the guest's word now, derives to.
   */
  private void resync(int slot) {
    @Mfn long mfn = Addr.mfn(pool.outOfSyncFrame(slot));
    pool.setOutOfSync(slot, -1);
    pool.resetTableWrites((int) mfn);
    engine.revalidateMappingsOf(mfn);
    long[] snapshot = pool.outOfSyncSnapshot(slot);
    guest.machine().copyFrameWords(mfn, resyncWords);
    engine.events().resynced(snapshot, resyncWords);
    int runStart = -1; // stale words are revalidated a run at a time
    for (int word = 0; word <= resyncWords.length; word++) {
      boolean stale = word < resyncWords.length
          && (resyncWords[word] != snapshot[word] || pool.rewritten(slot, word));
      if (stale && runStart < 0) {
        runStart = word;
      } else if (!stale && runStart >= 0) {
        engine.revalidateGuestWrite(mfn, runStart * 8, (word - runStart) * 8);
        runStart = -1;
      }
    }
  }

  /**
   * A shadow of {@code key} is about to be made. Only l1 tables may be out of sync: a table the
   * guest now uses at a higher level, or as another kind, comes back first.
   */
  void beforeShadowing(ShadowId key) {
    if (config.outOfSync() && key.type().shadowsGuestFrame() && guest.p2m().type(key.gfn()).isRam()
        && (key.type().holdsPointers() || key.type().role() != ShadowType.Role.TABLE)) {
      int slot = pool.outOfSyncSlot(guest.p2m().mfn(key.gfn()));
      if (slot >= 0 && !config.has(SeededBug.UNSYNC_ANY_LEVEL)) {
        engine.events().resyncing(ShadowEvents.ResyncCause.PROMOTED);
        resync(slot);
      }
    }
  }

  /**
   * A directory entry comes to point at {@code child}. A new path to an out-of-sync l1: its
   * entries may predate an INVLPG of a page this path reaches, which a TLB could not show, so it
   * comes back in sync first (as Xen's shadow_set_l2e does).
   */
  void beforeNewPath(Shadow child) {
    if (!any()) {
      return;
    }
    engine.events().resyncing(ShadowEvents.ResyncCause.NEW_PATH);
    @Gfn long gfn = child.gfn();
    if (!child.type().shadowsGuestFrame() || !guest.p2m().type(gfn).isRam()) {
      return;
    }
    int slot = pool.outOfSyncSlot(guest.p2m().mfn(gfn));
    if (slot >= 0) {
      resync(slot);
    }
  }

  /** A shadow of the guest table in {@code mfn} went: forget that it is out of sync once none is left to be stale. */
  void afterDestroy(Shadow shadow) {
    @Gfn long gfn = shadow.gfn();
    if (!config.outOfSync() || !shadow.type().shadowsGuestFrame() || !guest.p2m().type(gfn).isRam()) {
      return;
    }
    @Mfn long mfn = guest.p2m().mfn(gfn);
    int slot = pool.outOfSyncSlot(mfn);
    if (slot >= 0 && !engine.hasShadows(mfn)) {
      pool.setOutOfSync(slot, -1);
      pool.resetTableWrites((int) mfn);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The snapshot's record of rewritten entries

  /**
   * If {@code shadow} derives from an out-of-sync table, notes that its entry {@code index} of
   * frame {@code part} is being written (from the guest's word as it is now, which may differ
   * from the snapshot's), so the resync re-derives it.
   */
  void noteRewrite(Shadow shadow, int part, int index) {
    int slot = slotOf(shadow);
    if (slot >= 0 && !config.has(SeededBug.SNAPSHOT_MISSES_REWRITES)) {
      pool.noteRewritten(slot, wordOf(shadow, part, index));
    }
  }

  /** Whether a resync would leave entry {@code index} of frame {@code part} of {@code shadow} as it is. */
  boolean resyncSkips(Shadow shadow, int part, int index) {
    int slot = slotOf(shadow);
    if (slot < 0) {
      return false;
    }
    int word = wordOf(shadow, part, index);
    long now = guest.machine().read(Addr.maddrOf(Addr.mfn(pool.outOfSyncFrame(slot)), word * 8L), 8);
    return now == pool.outOfSyncSnapshot(slot)[word] && !pool.rewritten(slot, word);
  }

  /** The out-of-sync slot of the guest table the l1 table shadow {@code shadow} derives from, or -1. */
  private int slotOf(Shadow shadow) {
    if (!any() || shadow.type().role() != ShadowType.Role.TABLE) {
      return -1;
    }
    @Gfn long gfn = shadow.gfn();
    return guest.p2m().type(gfn).isRam() ? pool.outOfSyncSlot(guest.p2m().mfn(gfn)) : -1;
  }

  /** The word of its guest table that entry {@code index} of frame {@code part} of an l1 shadow derives from. */
  private static int wordOf(Shadow shadow, int part, int index) {
    return shadow.type().guestIndex(part, index) * Derivation.guestEntryBytes(shadow.type()) / 8;
  }
}
