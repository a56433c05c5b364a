package org.shadowref.check.conformance;

import org.shadowref.arch.EntryBits;
import org.shadowref.arch.PagingMode;

/**
 * Where the access matrix puts its page tables and pages, and how it writes its entries. Each
 * geometry varies two adjacent entries of one walk, a directory entry and the leaf below it; the
 * entries above them are fixed and fully permissive. Tables sit at guest frames 1, 2, ... from the
 * top level down; pages sit high, above 4 GiB where the mode can reach it, so address bits above
 * 31 are exercised.
 *
 * <p>This is the harness's side of the matrix: it knows the layout, not the rules. The rule table
 * ({@link SdmRules}) reads only flag names, levels and the page bases declared here.
 */
public enum Geometry {
  /** 32-bit paging without CR4.PSE: PDE then PTE; PS in the PDE is ignored. */
  TWO_LEVEL("2level", PagingMode.TWO_LEVEL, false, 2, false, 0xC123_4567L, 0x0ABC_D000L, 0),
  /** 32-bit paging with CR4.PSE: a PDE with PS maps a 4 MiB page (PSE-36 puts it above 4 GiB). */
  TWO_LEVEL_PSE(
      "2level+pse", PagingMode.TWO_LEVEL, true, 2, false, 0xC123_4567L, 0x0ABC_D000L, 0x1_0040_0000L),
  /** PAE paging: a fixed PDPTE, then PDE and PTE; a PDE with PS maps a 2 MiB page. */
  PAE("pae", PagingMode.PAE, false, 2, false, 0xC123_4567L, 0x23_4567_8000L, 0x12_3440_0000L),
  /** 4-level paging: fixed PML4E and PDPTE, then PDE and PTE; a PDE with PS maps 2 MiB. */
  FOUR_LEVEL(
      "4level", PagingMode.FOUR_LEVEL, false, 2, false, 0x7A5B_C3D4_E5F6L, 0x23_4567_8000L, 0x12_3440_0000L),
  /** 4-level paging one level up: PDPTE and a 2 MiB PDE below it; a PDPTE with PS maps 1 GiB. */
  FOUR_LEVEL_1G(
      "4level-1g",
      PagingMode.FOUR_LEVEL,
      false,
      3,
      true,
      0x7A5B_C3D4_E5F6L,
      0x12_3440_0000L,
      0xC0_4000_0000L);

  /** Probe bits, the one reserved bit per entry the matrix sets (with MAXPHYADDR 40). */
  private static final int HIGH_PROBE = 51;
  private static final int LARGE_PROBE = 13;
  private static final int PSE_PROBE = 21;
  private static final int NO_PROBE = -1;

  private final String label;
  private final PagingMode mode;
  private final boolean pse;
  private final int directoryLevel;
  private final boolean leafIsLarge;
  private final long va;
  private final long leafPageBase;
  private final long directoryPageBase;

  Geometry(
      String label,
      PagingMode mode,
      boolean pse,
      int directoryLevel,
      boolean leafIsLarge,
      long va,
      long leafPageBase,
      long directoryPageBase) {
    this.label = label;
    this.mode = mode;
    this.pse = pse;
    this.directoryLevel = directoryLevel;
    this.leafIsLarge = leafIsLarge;
    this.va = va;
    this.leafPageBase = leafPageBase;
    this.directoryPageBase = directoryPageBase;
  }

  public String label() {
    return label;
  }

  public PagingMode mode() {
    return mode;
  }

  /** CR4.PSE for this geometry (only 32-bit paging reads it). */
  public boolean pse() {
    return pse;
  }

  public int directoryLevel() {
    return directoryLevel;
  }

  public int leafLevel() {
    return directoryLevel - 1;
  }

  /** Flags the leaf always carries: PS when it is a large page. */
  public int leafFixedFlags() {
    return leafIsLarge ? Flags.PS : 0;
  }

  /** The linear address every access of the matrix uses. */
  public long va() {
    return va;
  }

  /** The page the leaf entry maps. */
  public long leafPageBase() {
    return leafPageBase;
  }

  /** The page the directory entry maps when it is a large page. */
  public long directoryPageBase() {
    return directoryPageBase;
  }

  /** Whether 64-bit entries (and so NX and bit 51) exist in this geometry. */
  public boolean hasWideEntries() {
    return mode != PagingMode.TWO_LEVEL;
  }

  /** The name of the varied directory entry ({@code PDE} or {@code PDPTE}). */
  public String directoryName() {
    return directoryLevel == 3 ? "PDPTE" : "PDE";
  }

  public String leafName() {
    return leafLevel() == 2 ? "PDE" : "PTE";
  }

  /** The layout's view of PS on the directory: whether this harness writes a page address. */
  public boolean directoryMapsPage(int directoryFlags) {
    return Flags.has(directoryFlags, Flags.PS) && (mode != PagingMode.TWO_LEVEL || pse);
  }

  /**
   * The bit the matrix sets for {@link Flags#RSVD}, or -1 when the entry's role has no reserved
   * bit that is not also an address bit. Large pages get a bit inside their large-page-only
   * reserved range, so that range is exercised; other 64-bit entries get bit 51.
   */
  public int probeBit(boolean directory, boolean mapsLargePage) {
    if (mode == PagingMode.TWO_LEVEL) {
      return directory && mapsLargePage ? PSE_PROBE : NO_PROBE;
    }
    return directory && mapsLargePage ? LARGE_PROBE : HIGH_PROBE;
  }

  /** The guest-physical address of the table at {@code level}: frames 1, 2, ... from the top. */
  public long tableAddress(int level) {
    return (long) (mode.levels() - level + 1) << 12;
  }

  /** The guest-physical address of the entry for {@link #va} at {@code level}. */
  public long entryAddress(int level) {
    return tableAddress(level) + index(level) * entryBytes();
  }

  public int entryBytes() {
    return mode == PagingMode.TWO_LEVEL ? 4 : 8;
  }

  /** The table index of {@link #va} at {@code level}, from the SDM's address splits. */
  long index(int level) {
    switch (mode) {
      case TWO_LEVEL:
        return (va >>> (level == 2 ? 22 : 12)) & 0x3FF;
      case PAE:
        return level == 3 ? (va >>> 30) & 0x3 : (va >>> (level == 2 ? 21 : 12)) & 0x1FF;
      default:
        return (va >>> (12 + 9 * (level - 1))) & 0x1FF;
    }
  }

  /** Flags of the fixed entries above the varied pair: present and fully permissive. */
  public int fixedFlags(int level) {
    if (mode == PagingMode.PAE && level == 3) {
      return Flags.P; // a PAE PDPTE has no rights bits; RW and US are reserved there
    }
    return Flags.P | Flags.RW | Flags.US;
  }

  /** The raw entry at {@code level} for the given flags. */
  public long encode(int level, int flags) {
    long raw = 0;
    if (Flags.has(flags, Flags.P)) {
      raw |= EntryBits.P;
    }
    if (Flags.has(flags, Flags.RW)) {
      raw |= EntryBits.RW;
    }
    if (Flags.has(flags, Flags.US)) {
      raw |= EntryBits.US;
    }
    if (Flags.has(flags, Flags.A)) {
      raw |= EntryBits.A;
    }
    if (Flags.has(flags, Flags.D)) {
      raw |= EntryBits.D;
    }
    if (Flags.has(flags, Flags.NX)) {
      raw |= EntryBits.NX;
    }
    boolean directory = level == directoryLevel;
    boolean mapsLarge = directory && directoryMapsPage(flags);
    if (Flags.has(flags, Flags.RSVD)) {
      int bit = probeBit(directory, mapsLarge);
      if (bit < 0) {
        throw new IllegalArgumentException(label + ": no reserved bit to probe at level " + level);
      }
      raw |= 1L << bit;
    }
    if (level > directoryLevel) {
      return raw | tableAddress(level - 1);
    }
    if (directory) {
      raw |= Flags.has(flags, Flags.PS) ? EntryBits.PS : 0;
      return raw | (mapsLarge ? largeAddressField(directoryPageBase) : tableAddress(level - 1));
    }
    return raw | (Flags.has(flags, Flags.PS) ? EntryBits.PS : 0) | leafPageBase;
  }

  /** A large page's base as its entry holds it (32-bit paging splits it, PSE-36). */
  private long largeAddressField(long base) {
    if (mode == PagingMode.TWO_LEVEL) {
      return (base & 0xFFC0_0000L) | (((base >>> 32) & 0xFF) << 13);
    }
    return base;
  }

  /** The geometries of one paging mode. */
  public static Geometry[] of(PagingMode mode) {
    int count = 0;
    for (Geometry g : values()) {
      if (g.mode == mode) {
        count++;
      }
    }
    Geometry[] out = new Geometry[count];
    int next = 0;
    for (Geometry g : values()) {
      if (g.mode == mode) {
        out[next++] = g;
      }
    }
    return out;
  }
}
