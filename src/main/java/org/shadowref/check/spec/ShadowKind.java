package org.shadowref.check.spec;

import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.arch.PagingMode;

/**
 * The kinds of shadow table, as the specification reads an engine's type names: which guest
 * structure a table stands for and how its entries line up with the guest's. Written from the
 * shadow-paging design (a 32-bit guest on PAE shadows splits each 1024-entry guest table over
 * several 512-entry shadow frames; a large page the hardware cannot map is split into small
 * pages), not from the engines' {@code ShadowType}.
 */
enum ShadowKind {
  // 2-on-2: 32-bit guest tables as 32-bit shadows, entry for entry.
  L1_32(PagingMode.TWO_LEVEL, 4, 1, Role.TABLE),
  FL1_32(PagingMode.TWO_LEVEL, 4, 1, Role.SPLINTER),
  L2_32(PagingMode.TWO_LEVEL, 4, 2, Role.TABLE),
  // 2-on-3: a 1024-entry guest l1 is two PAE l1 frames (guest entry 512p + i is entry i of frame
  // p); a guest l2 is four PAE l2 frames, each guest l2e two shadow l2es (a 4 MiB region is two
  // 2 MiB ones); a PDPT of four entries points at the four l2 frames.
  L1_32_PAE(PagingMode.TWO_LEVEL, 8, 1, Role.TABLE),
  FL1_32_PAE(PagingMode.TWO_LEVEL, 8, 1, Role.SPLINTER),
  L2_32_PAE(PagingMode.TWO_LEVEL, 8, 2, Role.TABLE),
  L3_32_PAE(PagingMode.TWO_LEVEL, 8, 3, Role.PDPT),
  // 3-on-3: the whole guest frame holding the PDPT is read as 512 PDPTEs (CR3 selects four).
  L1_PAE(PagingMode.PAE, 8, 1, Role.TABLE),
  FL1_PAE(PagingMode.PAE, 8, 1, Role.SPLINTER),
  L2_PAE(PagingMode.PAE, 8, 2, Role.TABLE),
  L3_PAE(PagingMode.PAE, 8, 3, Role.TABLE),
  // 4-on-4: a 1 GiB page is an l2 of 2 MiB pieces, each piece an l1.
  L1_64(PagingMode.FOUR_LEVEL, 8, 1, Role.TABLE),
  FL1_64(PagingMode.FOUR_LEVEL, 8, 1, Role.SPLINTER),
  L2_64(PagingMode.FOUR_LEVEL, 8, 2, Role.TABLE),
  FL2_64(PagingMode.FOUR_LEVEL, 8, 2, Role.SPLINTER),
  FL1G_64(PagingMode.FOUR_LEVEL, 8, 1, Role.SPLINTER),
  L3_64(PagingMode.FOUR_LEVEL, 8, 3, Role.TABLE),
  L4_64(PagingMode.FOUR_LEVEL, 8, 4, Role.TABLE),
  // Paging off: a 1:1 map of guest-physical memory in PAE shadows.
  UNPAGED_L1(null, 8, 1, Role.UNPAGED),
  UNPAGED_L2(null, 8, 2, Role.UNPAGED),
  UNPAGED_L3(null, 8, 3, Role.UNPAGED);

  enum Role {
    /** A guest page table. */
    TABLE,
    /** A guest large page, in small pieces. */
    SPLINTER,
    /** The four-entry PDPT over a 2-on-3 l2. */
    PDPT,
    /** A slice of guest-physical memory, for a guest with paging off. */
    UNPAGED
  }

  private final @Nullable PagingMode guestMode;
  private final int entryBytes;
  private final int level;
  private final Role role;

  ShadowKind(@Nullable PagingMode guestMode, int entryBytes, int level, Role role) {
    this.guestMode = guestMode;
    this.entryBytes = entryBytes;
    this.level = level;
    this.role = role;
  }

  /** The kind an engine names {@code typeName}, or null when the specification knows no such kind. */
  static @Nullable ShadowKind named(String typeName) {
    try {
      return valueOf(typeName);
    } catch (IllegalArgumentException unknown) {
      return null;
    }
  }

  /** The guest's paging mode; 32-bit paging stands in for a guest with paging off. */
  PagingMode guestMode() {
    return guestMode == null ? PagingMode.TWO_LEVEL : guestMode;
  }

  int entryBytes() {
    return entryBytes;
  }

  /** The level of the hardware walk the table serves: 1 holds leaves. */
  int level() {
    return level;
  }

  Role role() {
    return role;
  }

  /** The host paging mode the hardware walks this kind's table in. */
  PagingMode hostMode() {
    if (entryBytes == 4) {
      return PagingMode.TWO_LEVEL;
    }
    return guestMode == PagingMode.FOUR_LEVEL ? PagingMode.FOUR_LEVEL : PagingMode.PAE;
  }

  /** For a directory TABLE: the kind shadowing the guest table one of its entries points at. */
  @Nullable ShadowKind childTable() {
    switch (this) {
      case L2_32:
        return L1_32;
      case L2_32_PAE:
        return L1_32_PAE;
      case L2_PAE:
        return L1_PAE;
      case L3_PAE:
        return L2_PAE;
      case L2_64:
        return L1_64;
      case L3_64:
        return L2_64;
      case L4_64:
        return L3_64;
      default:
        return null;
    }
  }

  /** For a directory TABLE: the kind splitting a large page one of its entries maps, or null. */
  @Nullable ShadowKind childSplinter() {
    switch (this) {
      case L2_32:
        return FL1_32;
      case L2_32_PAE:
        return FL1_32_PAE;
      case L2_PAE:
        return FL1_PAE;
      case L2_64:
        return FL1_64;
      case L3_64:
        return FL2_64;
      default:
        return null;
    }
  }
}
