package org.shadowref.shadow.core;

import org.shadowref.arch.Addr;
import org.shadowref.arch.EntryBits;
import org.shadowref.arch.PagingMode;
import org.shadowref.arch.ReservedBits;
import org.shadowref.arch.qual.Gfn;
import org.shadowref.arch.qual.Mfn;
import org.shadowref.memory.P2m;
import org.shadowref.mmu.Walker;
import org.shadowref.shadow.GuestMachine;
import org.shadowref.shadow.entry.Propagation;

/**
 * What a shadow entry is derived from, read off the guest's memory as it is now: for a directory
 * entry, the child shadow it must point at and the guest entry it propagates; for a leaf, the
 * guest leaf and the guest frame it maps (the inputs of Xen's {@code _sh_propagate}). Both
 * engines derive through this class and differ only in what they make of the answer: how they
 * find the child, how they protect page tables, the optimized engine's magic markers, and the
 * seeded bugs.
 *
 * <p>Answers go into scratch objects the caller owns ({@link Child}, {@link Leaf}), so that a
 * fault path can derive without allocating.
 */
public final class Derivation {
  private final GuestMachine guest;

  public Derivation(GuestMachine guest) {
    this.guest = guest;
  }

  /** Where a directory entry points: the child's key fields and part, and the guest entry it propagates. */
  public static final class Child implements ShadowId {
    private ShadowType type = ShadowType.UNPAGED_L1;
    private @Gfn long gfn;
    private long slot;
    private int flavour;
    private int part;
    private long guestEntry;
    private PagingMode guestMode = PagingMode.FOUR_LEVEL;
    private int guestLevel;

    public ShadowType type() {
      return type;
    }

    public @Gfn long gfn() {
      return gfn;
    }

    public long slot() {
      return slot;
    }

    public int flavour() {
      return flavour;
    }

    /** Which frame of the child the entry points at. */
    public int part() {
      return part;
    }

    /** The guest entry the directory entry propagates (its rights and flags). */
    public long guestEntry() {
      return guestEntry;
    }

    public PagingMode guestMode() {
      return guestMode;
    }

    public int guestLevel() {
      return guestLevel;
    }

    /** The child's index key (a new object: paths that must not allocate look up by the fields). */
    public ShadowKey key() {
      return new ShadowKey(type, gfn, slot, flavour);
    }

    private boolean set(ShadowType type, @Gfn long gfn, long slot, int flavour, int part, long guestEntry,
        PagingMode guestMode, int guestLevel) {
      this.type = type;
      this.gfn = gfn;
      this.slot = slot;
      this.flavour = flavour;
      this.part = part;
      this.guestEntry = guestEntry;
      this.guestMode = guestMode;
      this.guestLevel = guestLevel;
      return true;
    }
  }

  /** What a leaf entry derives from: a guest 4 KiB leaf and the guest frame it maps. */
  public static final class Leaf {
    private long guestLeaf;
    private @Gfn long gfn;

    /** The guest leaf as a 4 KiB leaf: a table's l1e, a large leaf's flags, or the 1:1 map's entry. */
    public long guestLeaf() {
      return guestLeaf;
    }

    /** The guest frame it maps. */
    public @Gfn long gfn() {
      return gfn;
    }

    private Source set(long guestLeaf, @Gfn long gfn) {
      this.guestLeaf = guestLeaf;
      this.gfn = gfn;
      return Source.MAPPED;
    }
  }

  /** Whether a leaf entry derives from a guest leaf, and if not, why not. */
  public enum Source {
    /** It does: the {@link Leaf} holds the guest leaf and its frame. */
    MAPPED,
    /** The guest's l1e is not present (only for table shadows: the optimized engine's magic marker). */
    GUEST_NOT_PRESENT,
    /** The guest entry cannot be shadowed: reserved bits set, or a large page that is one no longer. */
    UNUSABLE
  }

  /**
   * Fills {@code out} with where entry {@code index} of frame {@code part} of the directory
   * shadow {@code key} points; false when it points nowhere now (the guest entry is not present
   * or has reserved bits).
   */
  public boolean childOf(ShadowId key, int part, int index, Child out) {
    ShadowType type = key.type();
    switch (type) {
      case L3_32_PAE:
        return index < 4
            && out.set(ShadowType.L2_32_PAE, key.gfn(), 0, key.flavour(), index, EntryBits.P, PagingMode.PAE, 3);
      case UNPAGED_L3:
        return index < 4
            && out.set(ShadowType.UNPAGED_L2, Addr.gfn((long) index << 18), 0, 0, 0, EntryBits.P, PagingMode.PAE, 3);
      case UNPAGED_L2:
        return out.set(ShadowType.UNPAGED_L1, Addr.gfn(key.gfn() + index * 512L), 0, 0, 0,
            EntryBits.P | EntryBits.RW | EntryBits.US | EntryBits.A, PagingMode.PAE, 2);
      case FL2_64:
        long large = largeLeafOf(key);
        return large != 0
            && out.set(ShadowType.FL1G_64, key.gfn(), key.slot() * 512 + index, key.flavour(), 0, large,
                PagingMode.FOUR_LEVEL, 3);
      default:
        break;
    }
    ShadowMode mode = type.mode();
    PagingMode guestMode = mode.guestMode();
    int level = type.guestLevel();
    int guestIndex = type.guestIndex(part, index);
    long entry = guestEntry(key.gfn(), guestIndex, guestMode);
    if (!usable(entry, guestMode, level, key)) {
      return false;
    }
    int childPart = type.childPart(index);
    if (isLarge(entry, guestMode, level, key)) {
      return out.set(mode.splinterType(level), key.gfn(), guestIndex, key.flavour(), childPart, entry, guestMode, level);
    }
    long table = Walker.tableFrame(guestMode, entry, guest.cpu().maxPhysAddr());
    return out.set(mode.tableType(level - 1), Addr.gfnOf(Addr.gpa(table)), 0, key.flavour(), childPart, entry,
        guestMode, level);
  }

  /**
   * Fills {@code out} with what entry {@code index} of frame {@code part} of the leaf shadow
   * {@code key} derives from, and says whether there is one: a table's l1e, a piece of the large
   * page a splinter splits, or a frame of the 1:1 map of a guest with paging off.
   */
  public Source leafOf(ShadowId key, int part, int index, Leaf out) {
    ShadowType type = key.type();
    switch (type.role()) {
      case UNPAGED:
        @Gfn long gfn = Addr.gfn(key.gfn() + index);
        return out.set(Addr.gpaOf(gfn, 0) | EntryBits.P | EntryBits.RW | EntryBits.US | EntryBits.A | EntryBits.D,
            gfn);
      case SPLINTER:
        long large = largeLeafOf(key);
        if (large == 0) {
          return Source.UNUSABLE;
        }
        PagingMode guestMode = type.mode().guestMode();
        long page = type == ShadowType.FL1G_64
            ? (key.slot() % 512) * 512 + index
            : (long) part * type.entriesPerFrame() + index;
        long base = Walker.leafFrame(guestMode, type.guestLevel(), large, guest.cpu().maxPhysAddr());
        return out.set(Propagation.asSmallLeaf(large), Addr.gfnOf(Addr.gpa(base + page * Addr.PAGE_SIZE)));
      default:
        return tableLeaf(key, guestEntry(key.gfn(), type.guestIndex(part, index), type.mode().guestMode()), out);
    }
  }

  /**
   * {@link #leafOf} for an entry of the l1 table shadow {@code key} whose guest l1e is {@code
   * entry}: for callers that read a run of guest entries themselves (prefetch).
   */
  public Source tableLeaf(ShadowId key, long entry, Leaf out) {
    PagingMode mode = key.type().mode().guestMode();
    if (!usable(entry, mode, 1, key)) {
      return (entry & EntryBits.P) == 0 ? Source.GUEST_NOT_PRESENT : Source.UNUSABLE;
    }
    long frame = Walker.tableFrame(mode, entry, guest.cpu().maxPhysAddr());
    return out.set(entry, Addr.gfnOf(Addr.gpa(frame)));
  }

  /** The guest's large leaf a splinter shadow splits, or 0 when the entry no longer is one. */
  public long largeLeafOf(ShadowId key) {
    ShadowType type = key.type();
    PagingMode mode = type.mode().guestMode();
    int level = type.guestLevel();
    long slot = type == ShadowType.FL1G_64 ? key.slot() / 512 : key.slot();
    long entry = guestEntry(key.gfn(), (int) slot, mode);
    return usable(entry, mode, level, key) && isLarge(entry, mode, level, key) ? entry : 0;
  }

  /** Entry {@code index} of the guest table in frame {@code gfn}, as guest memory holds it now. */
  public long guestEntry(@Gfn long gfn, int index, PagingMode mode) {
    return guest.physical().read(Addr.gpaOf(gfn, (long) index * mode.entryBytes()), mode.entryBytes());
  }

  /** Present and free of reserved bits, under the shadow's flavour. */
  public boolean usable(long entry, PagingMode mode, int level, ShadowId key) {
    if ((entry & EntryBits.P) == 0) {
      return false;
    }
    boolean large = isLarge(entry, mode, level, key);
    return (entry & ReservedBits.mask(mode, level, large, key.nxe(), guest.cpu().maxPhysAddr())) == 0;
  }

  /** Whether a guest entry at {@code level} maps a large page under the shadow's flavour. */
  public static boolean isLarge(long entry, PagingMode mode, int level, ShadowId key) {
    return level > 1 && (entry & EntryBits.PS) != 0 && mode.canMapLargePage(level, key.pse());
  }

  /** Whether the shadow with {@code key} derives from the guest table whose machine frame is {@code mfn}. */
  public boolean derivedFrom(ShadowId key, @Mfn long mfn) {
    if (!key.type().shadowsGuestFrame()) {
      return false;
    }
    P2m p2m = guest.p2m();
    return p2m.type(key.gfn()).isRam() && p2m.mfn(key.gfn()) == mfn;
  }

  /** The guest entry (index in the key's frame) an entry of the shadow derives from, or -1 for none. */
  public static int guestEntryIndex(ShadowId key, int part, int index) {
    ShadowType type = key.type();
    switch (type.role()) {
      case TABLE:
        return type.guestIndex(part, index);
      case SPLINTER:
        return (int) (type == ShadowType.FL1G_64 ? key.slot() / 512 : key.slot());
      default:
        return -1;
    }
  }

  /**
   * The first entry of frame {@code part} of the shadow {@code key} that derives from one of the
   * guest entries {@code firstGuest..lastGuest}; the entries up to {@link #derivedRunEnd} are
   * exactly those (a guest write of those entries changes them and no others). A table's entries
   * derive from guest entries in increasing order, so they are a run found by arithmetic; a
   * splinter's all derive from one guest entry; other shadows from none.
   */
  public static int derivedRunStart(ShadowId key, int part, int firstGuest, int lastGuest) {
    ShadowType type = key.type();
    return type.role() == ShadowType.Role.TABLE ? type.firstEntryFrom(part, firstGuest) : 0;
  }

  /** The end (exclusive) of the run that {@link #derivedRunStart} starts. */
  public static int derivedRunEnd(ShadowId key, int part, int firstGuest, int lastGuest) {
    ShadowType type = key.type();
    if (type.role() == ShadowType.Role.TABLE) {
      return type.firstEntryFrom(part, lastGuest + 1);
    }
    int guestIndex = guestEntryIndex(key, 0, 0);
    return guestIndex >= firstGuest && guestIndex <= lastGuest && guestIndex >= 0 ? type.entriesPerFrame() : 0;
  }

  /** The size of the guest entries a shadow of {@code type} derives from. */
  public static int guestEntryBytes(ShadowType type) {
    return type.mode().guestMode().entryBytes();
  }
}
