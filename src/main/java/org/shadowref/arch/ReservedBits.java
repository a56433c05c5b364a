package org.shadowref.arch;

/**
 * Which bits of a present paging-structure entry must be zero (Intel SDM vol. 3, tables 4-4 to
 * 4-20). A present entry with any of these set stops the walk with a reserved-bit fault.
 */
public final class ReservedBits {
  private ReservedBits() {}

  /**
   * The reserved-bit mask of an entry.
   *
   * @param level 1 for page tables, up to {@link PagingMode#levels()}
   * @param large whether the entry is a PS=1 leaf (a 4 MiB, 2 MiB or 1 GiB page)
   */
  public static long mask(
      PagingMode mode, int level, boolean large, boolean nxe, int maxPhysAddr) {
    switch (mode) {
      case TWO_LEVEL:
        return twoLevel(level, large, maxPhysAddr);
      case PAE:
        return pae(level, large, nxe, maxPhysAddr);
      default:
        return fourLevel(level, large, nxe, maxPhysAddr);
    }
  }

  private static long twoLevel(int level, boolean large, int maxPhysAddr) {
    if (level == 2 && large) {
      // PSE-36: PDE bits (M-19):13 carry physical-address bits (M-1):32; the rest up to 21 are
      // reserved. Addresses stop at 40 bits in this mode.
      int m = Math.min(maxPhysAddr, 40);
      return EntryBits.bits(21, m - 32 + 13);
    }
    return 0;
  }

  private static long pae(int level, boolean large, boolean nxe, int maxPhysAddr) {
    if (level == 3) {
      // PDPTE: bits 2:1 and 8:5 are reserved, and so is everything from MAXPHYADDR up,
      // including bit 63: a PDPTE has no execute-disable bit.
      return EntryBits.bits(63, maxPhysAddr) | EntryBits.bits(8, 5) | EntryBits.bits(2, 1);
    }
    long mask = EntryBits.bits(62, maxPhysAddr) | executeDisable(nxe);
    if (large) {
      mask |= EntryBits.bits(20, 13);
    }
    return mask;
  }

  private static long fourLevel(int level, boolean large, boolean nxe, int maxPhysAddr) {
    long mask = EntryBits.bits(51, maxPhysAddr) | executeDisable(nxe);
    if (level == 4) {
      mask |= EntryBits.PS;
    } else if (level == 3 && large) {
      mask |= EntryBits.bits(29, 13);
    } else if (level == 2 && large) {
      mask |= EntryBits.bits(20, 13);
    }
    return mask;
  }

  private static long executeDisable(boolean nxe) {
    return nxe ? 0 : EntryBits.NX;
  }
}
