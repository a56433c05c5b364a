package org.shadowref.shadow.core;

import org.shadowref.arch.Addr;
import org.shadowref.arch.ControlRegisters;
import org.shadowref.arch.EntryBits;
import org.shadowref.arch.PagingMode;
import org.shadowref.arch.qual.Mfn;
import org.shadowref.shadow.entry.ShadowFormat;

/**
 * The kinds of shadow table (Xen's {@code SH_type_*}). Each shadows one guest table (or one guest
 * large page, or a slice of the P2M) in a shadow mode, at a level of the hardware's walk, in one or
 * more machine frames.
 */
public enum ShadowType {
  L1_32(ShadowMode.TWO_ON_TWO, 1, Role.TABLE, 1),
  FL1_32(ShadowMode.TWO_ON_TWO, 1, Role.SPLINTER, 1),
  L2_32(ShadowMode.TWO_ON_TWO, 2, Role.TABLE, 1),
  /** A 1024-entry guest l1 as two 512-entry PAE l1s. */
  L1_32_PAE(ShadowMode.TWO_ON_THREE, 1, Role.TABLE, 2),
  /** A guest 4 MiB page as two PAE l1s. */
  FL1_32_PAE(ShadowMode.TWO_ON_THREE, 1, Role.SPLINTER, 2),
  /** A 1024-entry guest l2 as four PAE l2s: each guest l2e becomes two shadow l2es. */
  L2_32_PAE(ShadowMode.TWO_ON_THREE, 2, Role.TABLE, 4),
  /** The PDPT over a 2-on-3 l2 shadow: four entries, one per part. */
  L3_32_PAE(ShadowMode.TWO_ON_THREE, 3, Role.PDPT, 1),
  L1_PAE(ShadowMode.THREE_ON_THREE, 1, Role.TABLE, 1),
  FL1_PAE(ShadowMode.THREE_ON_THREE, 1, Role.SPLINTER, 1),
  L2_PAE(ShadowMode.THREE_ON_THREE, 2, Role.TABLE, 1),
  /** The whole guest frame holding the PDPT, read as 128 PDPTs: CR3 selects one. */
  L3_PAE(ShadowMode.THREE_ON_THREE, 3, Role.TABLE, 1),
  L1_64(ShadowMode.FOUR_ON_FOUR, 1, Role.TABLE, 1),
  FL1_64(ShadowMode.FOUR_ON_FOUR, 1, Role.SPLINTER, 1),
  L2_64(ShadowMode.FOUR_ON_FOUR, 2, Role.TABLE, 1),
  /** A guest 1 GiB page as an l2 of 2 MiB pieces ... */
  FL2_64(ShadowMode.FOUR_ON_FOUR, 2, Role.SPLINTER, 1),
  /** ... each 2 MiB piece as an l1. */
  FL1G_64(ShadowMode.FOUR_ON_FOUR, 1, Role.SPLINTER, 1),
  L3_64(ShadowMode.FOUR_ON_FOUR, 3, Role.TABLE, 1),
  L4_64(ShadowMode.FOUR_ON_FOUR, 4, Role.TABLE, 1),
  UNPAGED_L1(ShadowMode.UNPAGED, 1, Role.UNPAGED, 1),
  UNPAGED_L2(ShadowMode.UNPAGED, 2, Role.UNPAGED, 1),
  UNPAGED_L3(ShadowMode.UNPAGED, 3, Role.UNPAGED, 1);

  /** What a shadow of this type is derived from. */
  public enum Role {
    /** A guest page table, entry for entry. */
    TABLE,
    /** A guest large page, split into 4 KiB (or 2 MiB) pieces. */
    SPLINTER,
    /** The 2-on-3 PDPT: derived from which l2 shadow parts exist. */
    PDPT,
    /** A slice of the P2M, for a guest with paging off. */
    UNPAGED
  }

  private final ShadowMode mode;
  private final int level;
  private final Role role;
  private final int frames;

  ShadowType(ShadowMode mode, int level, Role role, int frames) {
    this.mode = mode;
    this.level = level;
    this.role = role;
    this.frames = frames;
  }

  public ShadowMode mode() {
    return mode;
  }

  /** The level of the hardware's walk this table serves (1 holds leaves). */
  public int level() {
    return level;
  }

  public Role role() {
    return role;
  }

  /** Machine frames one shadow of this type occupies. */
  public int frames() {
    return frames;
  }

  /** Whether entries point at other shadows (else they map guest pages). */
  public boolean holdsPointers() {
    return level > 1;
  }

  /** Whether the key's frame is a guest page table this shadow is derived from. */
  public boolean shadowsGuestFrame() {
    return role != Role.UNPAGED;
  }

  public boolean isTop() {
    return level == mode.hostMode().levels() && role != Role.SPLINTER;
  }

  public int entryBytes() {
    return mode.format() == ShadowFormat.LEGACY_32 ? 4 : 8;
  }

  /** The machine frame a present entry of this type names (a child shadow's, or a leaf's). */
  public @Mfn long frameOf(long entry) {
    long mask = entryBytes() == 4 ? EntryBits.ADDR_MASK_32 : EntryBits.ADDR_MASK_64;
    return Addr.mfn((entry & mask) >>> Addr.PAGE_SHIFT);
  }

  public int entriesPerFrame() {
    return (int) (Addr.PAGE_SIZE / entryBytes());
  }

  /** The level of the guest entry this type's entries derive from (the large leaf for splinters). */
  public int guestLevel() {
    switch (this) {
      case L3_32_PAE:
        return 2;
      case FL2_64:
      case FL1G_64:
        return 3;
      default:
        return role == Role.SPLINTER ? 2 : level;
    }
  }

  /**
   * For a TABLE: the index of the guest entry that entry {@code index} of frame {@code part}
   * shadows. In 2-on-3, l1 part p covers guest entries 512p.., and l2 part p covers guest
   * entries 256p.., two shadow entries per guest entry.
   */
  public int guestIndex(int part, int index) {
    switch (this) {
      case L1_32_PAE:
        return part * 512 + index;
      case L2_32_PAE:
        return part * 256 + index / 2;
      default:
        return index;
    }
  }

  /**
   * For a TABLE: the first entry of frame {@code part} whose guest entry ({@link #guestIndex}) is
   * {@code guestIndex} or later, or {@link #entriesPerFrame()} when there is none. Guest indices
   * never decrease along a frame, so the entries deriving from guest entries {@code a..b} are
   * those from {@code firstEntryFrom(part, a)} up to {@code firstEntryFrom(part, b + 1)}.
   */
  public int firstEntryFrom(int part, int guestIndex) {
    int entry;
    switch (this) {
      case L1_32_PAE:
        entry = guestIndex - part * 512;
        break;
      case L2_32_PAE:
        entry = 2 * (guestIndex - part * 256);
        break;
      default:
        entry = guestIndex;
        break;
    }
    return Math.max(0, Math.min(entry, entriesPerFrame()));
  }

  /** For a TABLE: which part of the child shadow a directory entry points at. */
  public int childPart(int index) {
    return this == L2_32_PAE ? index % 2 : 0;
  }

  /**
   * For a top-level type: the extra index into it for a vCPU with {@code regs}. A 3-on-3 top
   * shadows the whole frame of 128 PDPTs; CR3 selects one, and the hardware's CR3 the same one.
   */
  public int topOffset(ControlRegisters regs) {
    return this == L3_PAE ? (int) ((regs.cr3() & 0xFE0L) >>> 3) : 0;
  }

  /**
   * The index of the entry the hardware uses for {@code va} in a shadow of this type met at
   * {@code level} of its host paging mode, for a vCPU with {@code regs} (a top's {@link
   * #topOffset} included).
   */
  public int entryIndex(long va, int level, ControlRegisters regs) {
    PagingMode host = mode.hostMode();
    return host.index(host.truncate(va), level) + (level == host.levels() ? topOffset(regs) : 0);
  }

  /** The names of the types a table's entries may point at (none for leaf tables), made once per type. */
  public String[] childTypeNames() {
    return ChildTypes.NAMES[ordinal()].clone();
  }

  /** A holder: the names are worked out after every type exists. */
  private static final class ChildTypes {
    static final String[][] NAMES = namesByOrdinal();

    private static String[][] namesByOrdinal() {
      ShadowType[] types = values();
      String[][] names = new String[types.length][];
      for (ShadowType type : types) {
        names[type.ordinal()] = childTypesOf(type);
      }
      return names;
    }

    private static String[] childTypesOf(ShadowType type) {
      switch (type) {
        case L3_32_PAE:
          return new String[] {L2_32_PAE.name()};
        case UNPAGED_L3:
          return new String[] {UNPAGED_L2.name()};
        case UNPAGED_L2:
          return new String[] {UNPAGED_L1.name()};
        case FL2_64:
          return new String[] {FL1G_64.name()};
        default:
          break;
      }
      if (!type.holdsPointers()) {
        return new String[0];
      }
      ShadowMode mode = type.mode();
      int level = type.guestLevel();
      boolean splinters = mode.guestMode().canMapLargePage(level, true);
      return splinters
          ? new String[] {mode.tableType(level - 1).name(), mode.splinterType(level).name()}
          : new String[] {mode.tableType(level - 1).name()};
    }
  }
}
