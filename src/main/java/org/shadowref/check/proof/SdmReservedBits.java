package org.shadowref.check.proof;

import org.shadowref.arch.PagingMode;

/**
 * Reserved bits of paging-structure entries, bit by bit, as the Intel SDM (vol. 3, chapter 4)
 * tabulates them: an independent specification for {@code arch.ReservedBits}, written as one rule
 * per table row without sharing its code or its bit-range helpers. {@code m} is MAXPHYADDR.
 */
final class SdmReservedBits {
  private SdmReservedBits() {}

  /** The reserved bits of one kind of entry, from {@link #isReserved}. */
  static long mask(PagingMode mode, int level, boolean large, boolean nxe, int m) {
    long mask = 0;
    for (int bit = 0; bit < 64; bit++) {
      if (isReserved(mode, level, large, nxe, m, bit)) {
        mask |= 1L << bit;
      }
    }
    return mask;
  }

  static boolean isReserved(PagingMode mode, int level, boolean large, boolean nxe, int m, int bit) {
    switch (mode) {
      case TWO_LEVEL:
        return twoLevel(level, large, m, bit);
      case PAE:
        return pae(level, large, nxe, m, bit);
      default:
        return fourLevel(level, large, nxe, m, bit);
    }
  }

  /** Tables 4-4 to 4-6: only the PDE of a 4-MByte page has reserved bits. */
  private static boolean twoLevel(int level, boolean large, int m, int bit) {
    if (level != 2 || !large) {
      return false;
    }
    if (bit == 21) {
      return true;
    }
    // Bits 20:13 hold physical-address bits 39:32; those at or above min(MAXPHYADDR, 40) are
    // reserved (PSE-36 supports at most 40 address bits).
    if (bit >= 13 && bit <= 20) {
      int addressBit = bit - 13 + 32;
      return addressBit >= Math.min(m, 40);
    }
    return false;
  }

  /** Tables 4-8 to 4-11. */
  private static boolean pae(int level, boolean large, boolean nxe, int m, int bit) {
    if (level == 3) {
      // PDPTE: bits 2:1 and 8:5 reserved; 63:M reserved (no XD bit in a PDPTE).
      return bit == 1 || bit == 2 || (bit >= 5 && bit <= 8) || bit >= m;
    }
    if (bit == 63) {
      return !nxe; // XD is reserved unless EFER.NXE = 1
    }
    if (bit >= m && bit <= 62) {
      return true;
    }
    // PDE mapping a 2-MByte page: bits 20:13 reserved (bit 12 is PAT).
    return level == 2 && large && bit >= 13 && bit <= 20;
  }

  /** Tables 4-14 to 4-19. */
  private static boolean fourLevel(int level, boolean large, boolean nxe, int m, int bit) {
    if (bit == 63) {
      return !nxe;
    }
    if (bit >= m && bit <= 51) {
      return true;
    }
    if (level == 4) {
      return bit == 7; // PML4E: PS must be 0
    }
    if (level == 3 && large) {
      return bit >= 13 && bit <= 29; // PDPTE mapping a 1-GByte page
    }
    if (level == 2 && large) {
      return bit >= 13 && bit <= 20; // PDE mapping a 2-MByte page
    }
    return false;
  }
}
