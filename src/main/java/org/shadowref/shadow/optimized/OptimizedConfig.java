package org.shadowref.shadow.optimized;

import java.util.Objects;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.shadow.core.SeededBug;
import org.shadowref.shadow.core.SeededBugs;

/**
 * Which techniques the optimized engine runs with: every one can be switched off on its own
 * (proofs/optimized-engine.md). Made from a named preset ({@link #DEFAULT}, {@link #PLAIN},
 * {@link #PRODUCTION}) and changed by name ({@link #withPrefetch}, or {@link #toBuilder} for
 * several at once); there is no positional constructor to get a switch wrong in.
 */
public final class OptimizedConfig {
  /**
   * Xen's prefetch distance ({@code PREFETCH_DISTANCE} in its shadow code): a demand fault also
   * fills up to this many following l1 entries.
   */
  public static final int XEN_PREFETCH_DISTANCE = 32;
  /** Every technique off: the reference engine's algorithm on the pool. */
  public static final OptimizedConfig PLAIN = new Builder().build();
  /**
   * Every technique on except out-of-sync shadows (with those the guest may see TLB-like
   * staleness, so the engine no longer equals the reference exactly); the pool as large as the
   * machine allows.
   */
  public static final OptimizedConfig DEFAULT = new Builder()
      .hashIndex(true).magicEntries(true).prefetch(8).reverseMaps(true).pinTops(true).earlyUnshadow(true)
      .writeFlooding(true).fastEmulation(true).previousRoots(true).unpinReusedTops(true)
      .emulateSecondHalf(true).racedWalks(true).build();
  /**
   * Every technique on, out-of-sync shadows included, with Xen's prefetch distance: what a
   * production hypervisor runs.
   */
  public static final OptimizedConfig PRODUCTION =
      DEFAULT.toBuilder().outOfSync(true).prefetch(XEN_PREFETCH_DISTANCE).build();

  private final boolean twoOnTwo;
  private final boolean hashIndex;
  private final boolean magicEntries;
  private final int prefetch;
  private final boolean reverseMaps;
  private final int poolFrames;
  private final boolean outOfSync;
  private final boolean pinTops;
  private final boolean earlyUnshadow;
  private final boolean writeFlooding;
  private final boolean fastEmulation;
  private final boolean previousRoots;
  private final boolean unpinReusedTops;
  private final boolean emulateSecondHalf;
  private final boolean racedWalks;
  private final SeededBugs bugs;

  private OptimizedConfig(Builder builder) {
    if (builder.prefetch < 0 || builder.prefetch > 511) {
      throw new IllegalArgumentException("prefetch distance must be within 0..511, got " + builder.prefetch);
    }
    if (builder.poolFrames < 0) {
      throw new IllegalArgumentException("pool size must not be negative, got " + builder.poolFrames);
    }
    for (SeededBug bug : builder.bugs.asSet()) {
      if (!bug.inOptimized()) {
        throw new IllegalArgumentException("the optimized engine does not carry the seeded bug " + bug);
      }
    }
    twoOnTwo = builder.twoOnTwo;
    hashIndex = builder.hashIndex;
    magicEntries = builder.magicEntries;
    prefetch = builder.prefetch;
    reverseMaps = builder.reverseMaps;
    poolFrames = builder.poolFrames;
    outOfSync = builder.outOfSync;
    earlyUnshadow = builder.earlyUnshadow;
    writeFlooding = builder.writeFlooding;
    fastEmulation = builder.fastEmulation;
    previousRoots = builder.previousRoots;
    unpinReusedTops = builder.unpinReusedTops;
    emulateSecondHalf = builder.emulateSecondHalf;
    racedWalks = builder.racedWalks;
    pinTops = builder.pinTops;
    bugs = builder.bugs;
  }

  /** Shadow 32-bit guests on 32-bit shadows (default: on PAE shadows, as Xen does). */
  public boolean twoOnTwo() {
    return twoOnTwo;
  }

  /** Find shadows through the hash index keyed by (type, guest frame, slot, flavour); off: by scanning the pool. */
  public boolean hashIndex() {
    return hashIndex;
  }

  /**
   * The reserved-bit fast path: magic guest-not-present and MMIO l1 entries in PAE and 4-level
   * shadows, answered without a guest walk.
   */
  public boolean magicEntries() {
    return magicEntries;
  }

  /** On a demand fault, also propagate up to this many following l1 entries (0: off). */
  public int prefetch() {
    return prefetch;
  }

  /**
   * Write-access removal, revalidation and unshadowing through reverse maps and back pointers;
   * off: by scanning every shadow.
   */
  public boolean reverseMaps() {
    return reverseMaps;
  }

  /**
   * The most hypervisor frames the shadow pool may use (0: all there are); under pressure shadows
   * below the tops are torn down and rebuilt on demand.
   */
  public int poolFrames() {
    return poolFrames;
  }

  /**
   * Let guest l1 tables the guest keeps writing go out of sync (unprotected), resynchronised at
   * CR3 loads, INVLPG, flushes and control changes: the guest may then see what a TLB may show,
   * so outcomes are native-with-a-TLB rather than the reference's.
   */
  public boolean outOfSync() {
    return outOfSync;
  }

  /**
   * Keep the top-level shadow of every address space the guest has run on (Xen's pinned shadows),
   * so a CR3 load back to it finds its shadows built; pins are dropped, least recently used
   * first, when the pool runs short, and when the frame is unshadowed.
   */
  public boolean pinTops() {
    return pinTops;
  }

  /**
   * Xen's early unshadow ({@code SHOPT_EARLY_UNSHADOW}): a guest that clears entry after entry of
   * a page table, as a process exit does, is tearing it down; after its second clearing store in a
   * row the table is unshadowed, so the rest of the teardown runs on the hardware instead of being
   * emulated store by store.
   */
  public boolean earlyUnshadow() {
    return earlyUnshadow;
  }

  /**
   * KVM's write-flooding detection ({@code detect_write_flooding} in its MMU): a page table the
   * guest writes {@link WriteFlooding#THRESHOLD} times by emulation while no fault uses it is no
   * longer a page table to the guest, and is unshadowed (KVM zaps the shadow page).
   */
  public boolean writeFlooding() {
    return writeFlooding;
  }

  /**
   * Xen's fast emulation ({@code SHOPT_FAST_EMULATION}): a vCPU's write fault on the page of its
   * last emulated page-table store is emulated at once, on the translation remembered from that
   * store, without the guest walk or the shadow work; {@link FastEmulation} says when the
   * remembered translation is still the walk's.
   */
  public boolean fastEmulation() {
    return fastEmulation;
  }

  /**
   * KVM's cache of previous roots ({@code prev_roots}, {@code KVM_MMU_NUM_PREV_ROOTS}): each vCPU
   * keeps, with a reference each, the tops of its last {@link PreviousRoots#COUNT} address spaces,
   * and a CR3 load or control change back to one with the same key (guest root, shadow mode,
   * flavour) runs on it again instead of building a new top.
   */
  public boolean previousRoots() {
    return previousRoots;
  }

  /**
   * Giving up a top whose frame the guest reuses as data ({@link ReusedTops}): an emulated store
   * into the frame of a top that is pinned or kept but runs on no vCPU, and that no kernel makes
   * to a live top-level table (misaligned, or leaving an entry present with reserved bits),
   * unpins the top, drops it from every previous-roots list and unshadows the frame.
   */
  public boolean unpinReusedTops() {
    return unpinReusedTops;
  }

  /**
   * Xen's extra emulation for PAE guests ({@link SecondHalf}): after emulating a PAE guest's store
   * to a page table, the handler emulates up to {@link SecondHalf#MAX_FOLLOWING} of the
   * instructions after it, stopping after one that writes a page table, so that the other half of
   * an entry written as two 32-bit stores does not fault again.
   */
  public boolean emulateSecondHalf() {
    return emulateSecondHalf;
  }

  /**
   * The guest walk before the shadow lock, checked under it ({@link RacedWalks}; Xen's {@code
   * sh_page_fault} walks before {@code paging_lock}, KVM before {@code mmu_lock}): another vCPU may
   * run between the walk and the install, and a walk its store made stale is made again.
   */
  public boolean racedWalks() {
    return racedWalks;
  }

  /** Seeded bugs, for tests only: none in every real configuration. */
  public SeededBugs bugs() {
    return bugs;
  }

  /** True when {@code bug} is seeded. */
  public boolean has(SeededBug bug) {
    return bugs.has(bug);
  }

  /** This configuration with 32-bit guests on 32-bit shadows ({@code on}) or on PAE shadows. */
  public OptimizedConfig withTwoOnTwo(boolean on) {
    return toBuilder().twoOnTwo(on).build();
  }

  /** This configuration with the reserved-bit fast path and its magic entries on or off. */
  public OptimizedConfig withMagicEntries(boolean on) {
    return toBuilder().magicEntries(on).build();
  }

  /** This configuration prefetching {@code distance} l1 entries after a demand fault (0: none). */
  public OptimizedConfig withPrefetch(int distance) {
    return toBuilder().prefetch(distance).build();
  }

  /** This configuration with a pool of {@code frames} shadow frames (0: all the hypervisor has). */
  public OptimizedConfig withPoolFrames(int frames) {
    return toBuilder().poolFrames(frames).build();
  }

  /** This configuration keeping (or not) the tops of address spaces the guest switches away from. */
  public OptimizedConfig withPinTops(boolean on) {
    return toBuilder().pinTops(on).build();
  }

  /** This configuration with exactly {@code bug} seeded (none when it is null). */
  public OptimizedConfig withBug(@Nullable SeededBug bug) {
    return toBuilder().bugs(SeededBugs.of(bug)).build();
  }

  /** A builder holding this configuration's switches, to change a few of them. */
  public Builder toBuilder() {
    Builder builder = new Builder();
    builder.twoOnTwo = twoOnTwo;
    builder.hashIndex = hashIndex;
    builder.magicEntries = magicEntries;
    builder.prefetch = prefetch;
    builder.reverseMaps = reverseMaps;
    builder.poolFrames = poolFrames;
    builder.outOfSync = outOfSync;
    builder.pinTops = pinTops;
    builder.earlyUnshadow = earlyUnshadow;
    builder.writeFlooding = writeFlooding;
    builder.fastEmulation = fastEmulation;
    builder.previousRoots = previousRoots;
    builder.unpinReusedTops = unpinReusedTops;
    builder.emulateSecondHalf = emulateSecondHalf;
    builder.racedWalks = racedWalks;
    builder.bugs = bugs;
    return builder;
  }

  /** Every switch off, the pool unbounded, no seeded bug, until set. */
  public static Builder builder() {
    return new Builder();
  }

  /** Sets switches by name; {@link #build} checks them. */
  public static final class Builder {
    private boolean twoOnTwo;
    private boolean hashIndex;
    private boolean magicEntries;
    private int prefetch;
    private boolean reverseMaps;
    private int poolFrames;
    private boolean outOfSync;
    private boolean pinTops;
    private boolean earlyUnshadow;
    private boolean writeFlooding;
    private boolean fastEmulation;
    private boolean previousRoots;
    private boolean unpinReusedTops;
    private boolean emulateSecondHalf;
    private boolean racedWalks;
    private SeededBugs bugs = SeededBugs.NONE;

    private Builder() {}

    /** 32-bit guests on 32-bit shadows (on) or on PAE shadows (off). */
    public Builder twoOnTwo(boolean on) {
      twoOnTwo = on;
      return this;
    }

    /** Shadows found through a hash index by guest frame, not by a scan of the pool. */
    public Builder hashIndex(boolean on) {
      hashIndex = on;
      return this;
    }

    /** The reserved-bit fast path: magic shadow entries for guest-not-present and MMIO. */
    public Builder magicEntries(boolean on) {
      magicEntries = on;
      return this;
    }

    /** How many l1 entries after the faulting one a demand fault also fills (0: none). */
    public Builder prefetch(int distance) {
      prefetch = distance;
      return this;
    }

    /** Reverse maps and back pointers: revalidation and write-protection touch only what they must. */
    public Builder reverseMaps(boolean on) {
      reverseMaps = on;
      return this;
    }

    /** Shadow frames in the pool (0: every frame the hypervisor has); a bounded pool evicts. */
    public Builder poolFrames(int frames) {
      poolFrames = frames;
      return this;
    }

    /** l1 tables the guest keeps writing go out of sync and are resynced at the next flush. */
    public Builder outOfSync(boolean on) {
      outOfSync = on;
      return this;
    }

    /** Keep the top-level shadows of address spaces the guest switches away from. */
    public Builder pinTops(boolean on) {
      pinTops = on;
      return this;
    }

    /** A page table the guest clears twice in a row is unshadowed (a teardown). */
    public Builder earlyUnshadow(boolean on) {
      earlyUnshadow = on;
      return this;
    }

    /** A page table written again and again by emulation, and not used, is unshadowed. */
    public Builder writeFlooding(boolean on) {
      writeFlooding = on;
      return this;
    }

    /** A write fault on the page of the last emulated page-table store is emulated without a walk. */
    public Builder fastEmulation(boolean on) {
      fastEmulation = on;
      return this;
    }

    /** Each vCPU keeps the tops of its last few address spaces for a switch back. */
    public Builder previousRoots(boolean on) {
      previousRoots = on;
      return this;
    }

    /** An idle top whose frame a store reuses as data is unpinned and its frame unshadowed. */
    public Builder unpinReusedTops(boolean on) {
      unpinReusedTops = on;
      return this;
    }

    /** After an emulated page-table store of a PAE guest, the instructions after it are emulated too. */
    public Builder emulateSecondHalf(boolean on) {
      emulateSecondHalf = on;
      return this;
    }

    /** The guest walk runs before the shadow lock, and is checked (and if stale, made again) under it. */
    public Builder racedWalks(boolean on) {
      racedWalks = on;
      return this;
    }

    /** Seeded bugs, for tests and models only. */
    public Builder bugs(SeededBugs seeded) {
      bugs = seeded;
      return this;
    }

    /** The configuration, checked: a prefetch distance within a table, a pool size not negative, bugs the engine carries. */
    public OptimizedConfig build() {
      return new OptimizedConfig(this);
    }
  }

  @Override
  public boolean equals(@Nullable Object other) {
    return other instanceof OptimizedConfig that && twoOnTwo == that.twoOnTwo && hashIndex == that.hashIndex
        && magicEntries == that.magicEntries && prefetch == that.prefetch && reverseMaps == that.reverseMaps
        && poolFrames == that.poolFrames && outOfSync == that.outOfSync && pinTops == that.pinTops
        && earlyUnshadow == that.earlyUnshadow && writeFlooding == that.writeFlooding
        && fastEmulation == that.fastEmulation && previousRoots == that.previousRoots
        && unpinReusedTops == that.unpinReusedTops && emulateSecondHalf == that.emulateSecondHalf
        && racedWalks == that.racedWalks && bugs.equals(that.bugs);
  }

  @Override
  public int hashCode() {
    return Objects.hash(twoOnTwo, hashIndex, magicEntries, prefetch, reverseMaps, poolFrames, outOfSync, pinTops,
        earlyUnshadow, writeFlooding, fastEmulation, previousRoots, unpinReusedTops, emulateSecondHalf,
        racedWalks, bugs);
  }

  @Override
  public String toString() {
    return "OptimizedConfig[twoOnTwo=" + twoOnTwo + ", hashIndex=" + hashIndex + ", magicEntries=" + magicEntries
        + ", prefetch=" + prefetch + ", reverseMaps=" + reverseMaps + ", poolFrames=" + poolFrames
        + ", outOfSync=" + outOfSync + ", pinTops=" + pinTops + ", earlyUnshadow=" + earlyUnshadow
        + ", writeFlooding=" + writeFlooding + ", fastEmulation=" + fastEmulation + ", previousRoots=" + previousRoots
        + ", unpinReusedTops=" + unpinReusedTops + ", emulateSecondHalf=" + emulateSecondHalf
        + ", racedWalks=" + racedWalks + ", bugs=" + bugs + "]";
  }
}
