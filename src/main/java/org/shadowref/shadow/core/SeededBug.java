package org.shadowref.shadow.core;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Seeded bugs of the shadow engines, one vocabulary for both: each is a mistake a shadow-paging
 * implementation has made or could easily make, switched on through an engine's configuration
 * ({@link SeededBugs}) to show that the checks catch it. A bug names the engines that carry it: a
 * mistake in a technique only the optimized engine has, or in a step the two engines write
 * differently, is carried by one. Each comment says what the guest or an invariant sees.
 */
public enum SeededBug {
  /** Shadow l1es of page-table frames stay writable: breaks INV-WRITE-PROTECT. */
  SKIP_WRITE_PROTECT(Engines.BOTH),
  /** NX is not copied into shadow leaves: breaks INV-NO-AMPLIFY. */
  DROP_NX(Engines.BOTH),
  /** Leaves are writable before the guest's D bit is set: breaks INV-NO-AMPLIFY. */
  IGNORE_DIRTY(Engines.BOTH),
  /** Emulated page-table writes do not revalidate the shadows: breaks INV-COHERENT. */
  SKIP_REVALIDATE(Engines.BOTH),
  /** A shadow entry that stops pointing at a shadow keeps its reference: INV-SHADOW-STRUCTURE. */
  LEAK_REFCOUNT(Engines.BOTH),
  /** Leaves that map a shadowed page table map its shadow instead: breaks INV-ISOLATION. */
  MAP_SHADOW_FRAME(Engines.REFERENCE),
  /** Directory entries never carry NX: INV-COHERENT (the specification of propagation). */
  DIRECTORY_DROPS_NX(Engines.REFERENCE),
  /** Shadow leaves lose the guest's PWT and PCD (its memory type): INV-COHERENT; no result shows it. */
  DROP_CACHE_BITS(Engines.REFERENCE),
  /** A splinter's leaves map the next 4 KiB piece of the large page: INV-COHERENT. */
  SPLINTER_OFF_BY_ONE(Engines.REFERENCE),
  /** A splinter's leaves keep the large leaf's bit 7 (PS) as their PAT bit: INV-COHERENT; no result shows it. */
  PAT_BIT_NOT_MOVED(Engines.REFERENCE),
  /** The handler builds no shadow entry: every access is emulated, and native's results still come out (progress). */
  NO_SHADOW_BUILT(Engines.REFERENCE),
  /** The handler never sees that the retry would succeed: every access it could fix is emulated (progress). */
  HARDWARE_NEVER_ALLOWS(Engines.REFERENCE),
  /**
   * 2-on-3: a guest write revalidates only the first frame of a shadow, so a guest l1e at index
   * 512 or above (the second PAE l1) or a guest l2e at 256 or above keeps its old shadow: the
   * guest sees its old mapping after the write (INV-COHERENT, and native disagrees).
   */
  UPPER_HALF_NOT_REVALIDATED(Engines.REFERENCE),
  /**
   * A store that covers two guest entries (8 bytes into a 32-bit table, or straddling an entry
   * boundary) revalidates only the first: the second entry's shadow goes stale (INV-COHERENT).
   */
  STRADDLE_REVALIDATES_FIRST_ENTRY(Engines.REFERENCE),
  /**
   * Revalidation indexes the guest table with the shadow's entry width (8) instead of the
   * guest's (4 in a 32-bit guest): a write of guest entry i revalidates entry i/2 (INV-COHERENT).
   */
  SHADOW_WIDTH_FOR_GUEST_ENTRIES(Engines.REFERENCE),
  /**
   * Splinters of a 32-bit guest's 4 MiB page drop the PSE-36 frame bits above 4 GiB: the
   * shadows map a frame below 4 GiB where native reaches the high one (INV-NO-AMPLIFY).
   */
  PSE36_HIGH_BITS_DROPPED(Engines.REFERENCE),
  /**
   * 2-on-3: the second PAE l1 of a 4 MiB page's splinter maps the first 2 MiB again (the
   * slice's frame index ignores which half it is): the upper half reaches the wrong frames.
   */
  SPLINTER_SECOND_HALF_MAPS_FIRST(Engines.REFERENCE),
  /**
   * 3-on-3: the hardware's CR3 points at the first PDPT of the frame, dropping CR3 bits 11:5
   * that select the guest's (a PAE CR3 is 32-byte aligned, not page aligned).
   */
  PAE_CR3_LOW_BITS_DROPPED(Engines.REFERENCE),
  /**
   * The guest walk's A/D update sets D as well as A: a read marks the guest's leaf dirty (and
   * its directory entries), which native leaves clean.
   */
  WALK_SETS_DIRTY_ON_READ(Engines.REFERENCE),
  /**
   * The hardware registers leave out the guest's CR4.SMAP: a supervisor access to a user page
   * that SMAP forbids goes through on the shadows (INV-NO-AMPLIFY).
   */
  HARDWARE_DROPS_SMAP(Engines.REFERENCE),
  /** A frame that becomes a page table keeps its existing writable mappings: INV-WRITE-PROTECT. */
  NO_PROTECT_NEW_TABLE(Engines.OPTIMIZED),
  /** The not-present fast path leaves P set in the error code: the guest sees a protection fault. */
  GNP_KEEPS_PRESENT(Engines.OPTIMIZED),
  /** The not-present fast path leaves RSVD set in the error code. */
  GNP_KEEPS_RSVD(Engines.OPTIMIZED),
  /** The not-present fast path keeps I/D where the guest's paging does not report it (2-on-3). */
  GNP_KEEPS_FETCH(Engines.OPTIMIZED),
  /** Guest entries with reserved bits get the not-present marker: the guest sees P=0 instead of RSVD. */
  MAGIC_FOR_RESERVED(Engines.OPTIMIZED),
  /** The MMIO fast path decodes the next guest frame: the device model sees the wrong address. */
  MMIO_WRONG_GFN(Engines.OPTIMIZED),
  /** The MMIO fast path skips the rights check: a forbidden access reaches the device model. */
  MMIO_IGNORES_RIGHTS(Engines.OPTIMIZED),
  /** MMIO markers are made for guest entries whose A or D is clear: the fast path never sets them. */
  MMIO_MAGIC_IGNORES_DIRTY(Engines.OPTIMIZED),
  /** MMIO markers are made for read-only RAM: INV-MAGIC. */
  MMIO_MAGIC_FOR_RAM(Engines.OPTIMIZED),
  /**
   * A device access leaves no MMIO marker behind: every later access to the page takes the full
   * handler and still reaches the device model (progress).
   */
  MMIO_MARKER_NOT_LEFT(Engines.OPTIMIZED),
  /** Prefetch propagates guest entries as if their A bit were set: INV-NO-AMPLIFY. */
  PREFETCH_SETS_ACCESSED(Engines.OPTIMIZED),
  /** Prefetched leaves that map a shadowed page table are left writable: INV-WRITE-PROTECT. */
  PREFETCH_WRITABLE_PAGE_TABLE(Engines.OPTIMIZED),
  /** Prefetch writes each neighbour's entry one slot further on: INV-COHERENT. */
  PREFETCH_OFF_BY_ONE(Engines.OPTIMIZED),
  /** New shadow leaves are not entered in the reverse map: their write access survives (INV-WRITE-PROTECT). */
  RMAP_NOT_UPDATED(Engines.OPTIMIZED),
  /** Destroyed shadows do not return their frames to the pool: it runs dry. */
  POOL_LEAK(Engines.OPTIMIZED),
  /**
   * Pinning takes no reference: the reference counts miss the pins (INV-SHADOW-STRUCTURE), and a
   * top the guest switches away from is destroyed while still pinned.
   */
  PIN_WITHOUT_REFERENCE(Engines.OPTIMIZED),
  /** Out-of-sync l1s are not resynchronised at CR3 loads: staleness outlives the flush. */
  NO_RESYNC_ON_CR3(Engines.OPTIMIZED),
  /** INVLPG leaves the page's out-of-sync l1e stale. */
  NO_RESYNC_ON_INVLPG(Engines.OPTIMIZED),
  /** A fault in an out-of-sync l1 leaves its stale entry: staleness outlives the #PF. */
  NO_REFRESH_ON_FAULT(Engines.OPTIMIZED),
  /** Tables shadowed at a higher level go out of sync too: INV-OOS. */
  UNSYNC_ANY_LEVEL(Engines.OPTIMIZED),
  /**
   * Writes of an out-of-sync table's shadow entries are not noted, so a resync re-derives only
   * the words that differ from the snapshot: an entry refreshed at an INVLPG from a word the guest
   * then puts back as it was keeps the refreshed translation (INV-OOS).
   */
  SNAPSHOT_MISSES_REWRITES(Engines.OPTIMIZED),
  /** The shadow index ignores the NXE/PSE flavour: shadows made under one EFER.NXE serve the other. */
  HASH_IGNORES_FLAVOUR(Engines.OPTIMIZED),
  /**
   * Prefetch runs to index 512 of a 512-entry l1 (its bound is the entry count, not the last
   * index): it reads the next guest frame's first entry and writes one entry past the shadow's
   * frame, into whatever the pool placed there.
   */
  PREFETCH_PAST_LAST_ENTRY(Engines.OPTIMIZED),
  /**
   * Prefetched leaves for read-only RAM are made as for RAM: writable once the guest's D is set,
   * so a store the P2M forbids reaches the frame (INV-NO-AMPLIFY).
   */
  PREFETCH_READ_ONLY_RAM_WRITABLE(Engines.OPTIMIZED),
  /**
   * Revalidation rounds the first guest entry a store touches up, not down: a store that starts
   * inside an entry (the high half of a 64-bit entry, with NX and the frame's upper bits) leaves
   * that entry's shadow stale (INV-COHERENT).
   */
  STORE_INSIDE_ENTRY_NOT_REVALIDATED(Engines.OPTIMIZED),
  /**
   * 2-on-3: the shadow l1e of a guest l1e at index 512 or above is written into the first PAE l1
   * of the shadow, at its index within the second (the index reduced, the frame not chosen): a
   * page in the lower half of the guest table reaches the upper half's frame (INV-COHERENT).
   */
  UPPER_HALF_L1E_IN_FIRST_FRAME(Engines.OPTIMIZED),
  /**
   * After a P2M change, only the first shadow found mapping the guest frame's old machine frame is
   * repaired: a leaf in a second shadow (another address space, another alias) keeps the old
   * frame, which the guest no longer owns (INV-P2M-COHERENT).
   */
  P2M_MAPPING_LEFT_IN_SECOND_SHADOW(Engines.OPTIMIZED),
  /**
   * After a P2M change, the leaves of splinter shadows (a guest large page's 4 KiB pieces) are
   * not repaired: a large page keeps reaching the frame its piece left (INV-P2M-COHERENT).
   */
  P2M_SPLINTER_MISSED(Engines.OPTIMIZED),
  /**
   * When a device frame becomes RAM again, its MMIO markers stay: the fast path keeps sending the
   * guest's accesses to the device model (INV-P2M-COHERENT, INV-MAGIC).
   */
  P2M_MMIO_MARKER_KEPT(Engines.OPTIMIZED),
  /** Log-dirty mode: the engine's emulated stores mark nothing dirty (INV-LOG-DIRTY: a migration loses them). */
  EMULATED_WRITE_NOT_LOGGED(Engines.BOTH),
  /** Log-dirty mode: the A and D bits the guest walk sets in the guest's tables mark nothing dirty (INV-LOG-DIRTY). */
  WALK_AD_NOT_LOGGED(Engines.BOTH),
  /**
   * Log-dirty mode: a clean empties the dirty set but leaves the leaves writable, so the frames
   * dirty before it are written unseen after it (INV-LOG-DIRTY).
   */
  CLEAN_KEEPS_WRITE_ACCESS(Engines.BOTH),
  /**
   * Early unshadow: the clearing store that unshadows a table is not revalidated (its shadows
   * are about to go), but a top a vCPU runs on stays, with the cleared entry still mapping
   * (INV-COHERENT, and the guest reaches memory native says is gone).
   */
  EARLY_UNSHADOW_SKIPS_REVALIDATION(Engines.OPTIMIZED),
  /**
   * Write flooding: the store that floods a table is not revalidated (KVM zaps the shadow page
   * instead of updating it), but a top a vCPU runs on is not dropped and keeps the old entry
   * (INV-COHERENT; KVM must reload such a root).
   */
  FLOODED_TABLE_NOT_REVALIDATED(Engines.OPTIMIZED),
  /**
   * Fast emulation: the remembered translation outlives a store to a page table its walk read, so
   * a later write fault on the page is emulated into the frame the page used to map (the guest
   * writes memory native says it does not reach, or no longer may).
   */
  FAST_EMULATION_MISSES_TABLE_WRITE(Engines.OPTIMIZED),
  /**
   * Fast emulation: whether the remembered translation still holds is judged without CR3, so after
   * a switch of address space a write fault on the page is emulated into the old space's frame
   * (Xen forgets it when CR3 changes).
   */
  FAST_EMULATION_IGNORES_CR3(Engines.OPTIMIZED),
  /**
   * Out-of-sync slots per vCPU: when a vCPU's slots are all taken, the slot that makes room is
   * given to the new table without bringing its table back in sync, which keeps writable mappings
   * while the engine takes it for in sync (INV-WRITE-PROTECT; its shadows stay stale for good).
   */
  OUT_OF_SYNC_SLOT_REUSED_WITHOUT_RESYNC(Engines.OPTIMIZED),
  /**
   * Previous roots: a cached root is matched by the guest's root table alone, not by its role
   * (shadow mode and NXE/PSE flavour), so after a control change a CR3 load back reuses a root
   * made for the other one: with EFER.NXE cleared, shadows made under NXE still map entries whose
   * bit 63 is now reserved (INV-NO-AMPLIFY, and native faults where the guest runs on).
   */
  CACHED_ROOT_IGNORES_ROLE(Engines.OPTIMIZED),
  /**
   * Previous roots: the root that falls out of a vCPU's cache keeps the cache's reference, so it
   * is never freed and its guest table stays write-protected (INV-SHADOW-STRUCTURE).
   */
  EVICTED_ROOT_KEEPS_REFERENCE(Engines.OPTIMIZED),
  /**
   * Unpinning reused tops: the store that gives up an idle top is not revalidated (its shadows
   * are about to go), so until the next operation unshadows the frame the top keeps the entry the
   * guest overwrote (INV-COHERENT).
   */
  REUSED_TOP_STORE_NOT_REVALIDATED(Engines.OPTIMIZED),
  /**
   * PAE second half: the instructions emulated after the faulting one start from the registers
   * the block began with, not from those the instructions before them left, so an instruction
   * that follows a pointer step stores where the step started (native stores one entry on).
   */
  SECOND_HALF_STALE_REGISTERS(Engines.OPTIMIZED),
  /**
   * PAE second half: an instruction after the faulting one that stops (a #PF the guest must
   * take, MMIO) is counted as done and skipped, so the guest never sees its fault.
   */
  SECOND_HALF_SKIPS_STOPPED_INSTRUCTION(Engines.OPTIMIZED),
  /**
   * PAE second half: the stores of the instructions emulated after the faulting one are not
   * revalidated (the second half "completes" the entry the first half's revalidation already
   * saw), so the shadow keeps the torn entry (INV-COHERENT).
   */
  SECOND_HALF_NOT_REVALIDATED(Engines.OPTIMIZED),
  /**
   * Raced walks: the walk made before the shadow lock is used under it unchecked, so a store another
   * vCPU made in between is missed: the handler injects a fault for an entry the store just made
   * present, or performs the access on the translation the store just removed, and writes back the
   * walk's A/D updates over the store (native disagrees).
   */
  RACED_WALK_NOT_RECHECKED(Engines.OPTIMIZED),
  /**
   * Raced walks: the walk is checked by the version number alone, as if every store to a table it
   * read went through the engine; a store to a table with no shadows (or out of sync) reaches
   * memory on the hardware and bumps nothing, so the stale walk is used (native disagrees).
   */
  RACED_WALK_TRUSTS_VERSION(Engines.OPTIMIZED);

  /** Which engines carry a seeded bug. */
  public enum Engines {
    REFERENCE,
    OPTIMIZED,
    BOTH
  }

  private final Engines engines;

  SeededBug(Engines engines) {
    this.engines = engines;
  }

  /** Whether the reference engine carries this bug. */
  public boolean inReference() {
    return engines != Engines.OPTIMIZED;
  }

  /** Whether the optimized engine carries this bug. */
  public boolean inOptimized() {
    return engines != Engines.REFERENCE;
  }

  /** The name models' {@code bug=} arguments, traces and the CLI use: {@code SKIP_WRITE_PROTECT} is {@code skip-write-protect}. */
  public String cliName() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /** The bug called {@code name}, in either spelling ({@link #cliName} or the constant, any case), or null. */
  public static @Nullable SeededBug named(String name) {
    String constant = name.toUpperCase(Locale.ROOT).replace('-', '_');
    for (SeededBug bug : values()) {
      if (bug.name().equals(constant)) {
        return bug;
      }
    }
    return null;
  }

  /** The bugs the reference engine carries, in declaration order. */
  public static List<SeededBug> ofReference() {
    List<SeededBug> bugs = new ArrayList<>();
    for (SeededBug bug : values()) {
      if (bug.inReference()) {
        bugs.add(bug);
      }
    }
    return bugs;
  }

  /** The bugs the optimized engine carries, in declaration order. */
  public static List<SeededBug> ofOptimized() {
    List<SeededBug> bugs = new ArrayList<>();
    for (SeededBug bug : values()) {
      if (bug.inOptimized()) {
        bugs.add(bug);
      }
    }
    return bugs;
  }

  /** Whether the bug lives in out-of-sync shadows: only a lane with them can show it. */
  public boolean needsOutOfSync() {
    return this == NO_RESYNC_ON_CR3 || this == NO_RESYNC_ON_INVLPG || this == NO_REFRESH_ON_FAULT
        || this == UNSYNC_ANY_LEVEL || this == SNAPSHOT_MISSES_REWRITES || this == OUT_OF_SYNC_SLOT_REUSED_WITHOUT_RESYNC;
  }
}
