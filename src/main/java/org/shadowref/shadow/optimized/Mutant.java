package org.shadowref.shadow.optimized;

/**
 * Seeded bugs in the optimized engine, one at a time through {@link OptimizedEngine.Config#mutant}:
 * each is a mistake a production shadow-paging implementation has made or could easily make in
 * one of the techniques. The differential run of the mutation score kills every one that does not
 * need out-of-sync shadows (MutantsTest); the out-of-sync ones are killed against native with a
 * TLB model. Each comment says what the guest or an invariant sees.
 */
public enum Mutant {
  /** Shadow leaves that map a shadowed page table stay writable: INV-WRITE-PROTECT. */
  SKIP_WRITE_PROTECT,
  /** A frame that becomes a page table keeps its existing writable mappings: INV-WRITE-PROTECT. */
  NO_PROTECT_NEW_TABLE,
  /** NX is not copied into shadow leaves: a fetch the guest forbids succeeds (INV-NO-AMPLIFY). */
  DROP_NX,
  /** Leaves are writable before the guest's D bit is set: INV-NO-AMPLIFY. */
  IGNORE_DIRTY,
  /** Emulated stores to page tables are not revalidated: INV-COHERENT. */
  SKIP_REVALIDATE,
  /** A directory entry that stops pointing at a shadow keeps its reference: INV-SHADOW-STRUCTURE. */
  LEAK_REFCOUNT,
  /** The not-present fast path leaves P set in the error code: the guest sees a protection fault. */
  GNP_KEEPS_PRESENT,
  /** The not-present fast path leaves RSVD set in the error code. */
  GNP_KEEPS_RSVD,
  /** The not-present fast path keeps I/D where the guest's paging does not report it (2-on-3). */
  GNP_KEEPS_FETCH,
  /** Guest entries with reserved bits get the not-present marker: the guest sees P=0 instead of RSVD. */
  MAGIC_FOR_RESERVED,
  /** The MMIO fast path decodes the next guest frame: the device model sees the wrong address. */
  MMIO_WRONG_GFN,
  /** The MMIO fast path skips the rights check: a forbidden access reaches the device model. */
  MMIO_IGNORES_RIGHTS,
  /** MMIO markers are made for guest entries whose A or D is clear: the fast path never sets them. */
  MMIO_MAGIC_IGNORES_DIRTY,
  /** MMIO markers are made for read-only RAM: INV-MAGIC. */
  MMIO_MAGIC_FOR_RAM,
  /** Prefetch propagates guest entries as if their A bit were set: INV-NO-AMPLIFY. */
  PREFETCH_SETS_ACCESSED,
  /** Prefetched leaves that map a shadowed page table are left writable: INV-WRITE-PROTECT. */
  PREFETCH_WRITABLE_PAGE_TABLE,
  /** Prefetch writes each neighbour's entry one slot further on: INV-COHERENT. */
  PREFETCH_OFF_BY_ONE,
  /** New shadow leaves are not entered in the reverse map: their write access survives (INV-WRITE-PROTECT). */
  RMAP_NOT_UPDATED,
  /** Destroyed shadows do not return their frames to the pool: it runs dry. */
  POOL_LEAK,
  /**
   * Pinning takes no reference: the reference counts miss the pins (INV-SHADOW-STRUCTURE), and a
   * top the guest switches away from is destroyed while still pinned.
   */
  PIN_WITHOUT_REFERENCE,
  /** Out-of-sync l1s are not resynchronised at CR3 loads: staleness outlives the flush. */
  NO_RESYNC_ON_CR3,
  /** INVLPG leaves the page's out-of-sync l1e stale. */
  NO_RESYNC_ON_INVLPG,
  /** A fault in an out-of-sync l1 leaves its stale entry: staleness outlives the #PF. */
  NO_REFRESH_ON_FAULT,
  /** Tables shadowed at a higher level go out of sync too: INV-OOS. */
  UNSYNC_ANY_LEVEL,
  /**
   * Writes of an out-of-sync table's shadow entries are not noted, so a resync re-derives only
   * the words that differ from the snapshot: an entry refreshed at an INVLPG from a word the guest
   * then puts back as it was keeps the refreshed translation (INV-OOS).
   */
  SNAPSHOT_MISSES_REWRITES,
  /** The shadow index ignores the NXE/PSE flavour: shadows made under one EFER.NXE serve the other. */
  HASH_IGNORES_FLAVOUR,
  /**
   * Prefetch runs to index 512 of a 512-entry l1 (its bound is the entry count, not the last
   * index): it reads the next guest frame's first entry and writes one entry past the shadow's
   * frame, into whatever the pool placed there.
   */
  PREFETCH_PAST_LAST_ENTRY,
  /**
   * Prefetched leaves for read-only RAM are made as for RAM: writable once the guest's D is set,
   * so a store the P2M forbids reaches the frame (INV-NO-AMPLIFY).
   */
  PREFETCH_READ_ONLY_RAM_WRITABLE,
  /**
   * Revalidation rounds the first guest entry a store touches up, not down: a store that starts
   * inside an entry (the high half of a 64-bit entry, with NX and the frame's upper bits) leaves
   * that entry's shadow stale (INV-COHERENT).
   */
  STORE_INSIDE_ENTRY_NOT_REVALIDATED,
  /**
   * 2-on-3: the shadow l1e of a guest l1e at index 512 or above is written into the first PAE l1
   * of the shadow, at its index within the second (the index reduced, the frame not chosen): a
   * page in the lower half of the guest table reaches the upper half's frame (INV-COHERENT).
   */
  UPPER_HALF_L1E_IN_FIRST_FRAME;

  /**
   * Whether the bug lives in out-of-sync shadows. Those run only with {@link
   * OptimizedEngine.Config#outOfSync}, where the guest may see TLB staleness, so they are killed
   * against native with a TLB model (OutOfSyncPropertyTest, OptimizedSeededBugTest) rather than by
   * the exact differential run.
   */
  public boolean needsOutOfSync() {
    return this == NO_RESYNC_ON_CR3 || this == NO_RESYNC_ON_INVLPG || this == NO_REFRESH_ON_FAULT
        || this == UNSYNC_ANY_LEVEL || this == SNAPSHOT_MISSES_REWRITES;
  }
}
