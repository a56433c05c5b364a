package org.shadowref.arch;

import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The three x86 paging structures. Levels are numbered as in Xen: 1 is the page table that maps
 * 4 KiB pages, the highest level is the one CR3 points at.
 */
public enum PagingMode {
  /** 32-bit paging: two levels of 1024 four-byte entries; 4 MiB pages with CR4.PSE. */
  TWO_LEVEL("2level", 2, 4, 32),
  /** PAE paging: a 4-entry PDPT, then two levels of 512 eight-byte entries; 2 MiB pages. */
  PAE("pae", 3, 8, 32),
  /** 4-level paging (IA-32e): four levels of 512 eight-byte entries; 2 MiB and 1 GiB pages. */
  FOUR_LEVEL("4level", 4, 8, 48);

  private final String cliName;
  private final int levels;
  private final int entryBytes;
  private final int linearBits;

  PagingMode(String cliName, int levels, int entryBytes, int linearBits) {
    this.cliName = cliName;
    this.levels = levels;
    this.entryBytes = entryBytes;
    this.linearBits = linearBits;
  }

  /** The name users type: {@code 2level}, {@code pae}, {@code 4level}. */
  public String cliName() {
    return cliName;
  }

  public int levels() {
    return levels;
  }

  public int entryBytes() {
    return entryBytes;
  }

  /** Number of index bits a table at {@code level} consumes. */
  public int indexBits(int level) {
    if (this == TWO_LEVEL) {
      return 10;
    }
    if (this == PAE && level == 3) {
      return 2;
    }
    return 9;
  }

  /** Lowest linear-address bit that indexes a table at {@code level}. */
  public int indexShift(int level) {
    int perLevel = this == TWO_LEVEL ? 10 : 9;
    return Addr.PAGE_SHIFT + perLevel * (level - 1);
  }

  public int entriesPerTable(int level) {
    return 1 << indexBits(level);
  }

  /** Index of the entry for {@code va} in the table at {@code level}. */
  public int index(long va, int level) {
    return (int) ((va >>> indexShift(level)) & ((1L << indexBits(level)) - 1));
  }

  /** Size of the page a leaf at {@code level} maps. */
  public long pageSize(int level) {
    return 1L << indexShift(level);
  }

  /** Whether a PS=1 entry at {@code level} can map a page (given PSE for 32-bit paging). */
  public boolean canMapLargePage(int level, boolean pse) {
    switch (this) {
      case TWO_LEVEL:
        return level == 2 && pse;
      case PAE:
        return level == 2;
      default:
        return level == 2 || level == 3;
    }
  }

  /** The linear address as the walk sees it: 32-bit modes drop the upper half. */
  public long truncate(long va) {
    return linearBits == 32 ? va & 0xFFFF_FFFFL : va;
  }

  public static @Nullable PagingMode fromCliName(String name) {
    for (PagingMode mode : values()) {
      if (mode.cliName.equals(name)) {
        return mode;
      }
    }
    return null;
  }
}
