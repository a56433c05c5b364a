package org.shadowref.arch;

import org.shadowref.arch.bits.BitAlgebra;
import org.shadowref.arch.bits.ConcreteBits;

/**
 * Which bits of a present paging-structure entry must be zero (Intel SDM vol. 3, tables 4-4 to
 * 4-20). A present entry with any of these set stops the walk with a reserved-bit fault.
 *
 * <p>Written once over {@link BitAlgebra}, with EFER.NXE and MAXPHYADDR as vectors, so that
 * proofs/ can check the masks against the SDM tables for every MAXPHYADDR at once
 * (proofs/reserved-bits.md).
 */
public final class ReservedBits {
  private static final int MIN_MAXPHYADDR = 32;
  private static final int MAX_MAXPHYADDR = 52;
  private static final int MAX_LEVEL = 4;

  /**
   * Every concrete mask, worked out once by the algebra below: every page walk asks for one per
   * level, and model checkers walk millions of times. Indexed by {@link #slot}.
   */
  private static final long[] TABLE = concreteTable();

  private ReservedBits() {}

  /**
   * The reserved-bit mask of an entry.
   *
   * @param level 1 for page tables, up to {@link PagingMode#levels()}
   * @param large whether the entry is a PS=1 leaf (a 4 MiB, 2 MiB or 1 GiB page)
   */
  public static long mask(
      PagingMode mode, int level, boolean large, boolean nxe, int maxPhysAddr) {
    if (level >= 1 && level <= MAX_LEVEL && maxPhysAddr >= MIN_MAXPHYADDR && maxPhysAddr <= MAX_MAXPHYADDR) {
      return TABLE[slot(mode, level, large, nxe, maxPhysAddr)];
    }
    return computed(mode, level, large, nxe, maxPhysAddr);
  }

  private static long computed(PagingMode mode, int level, boolean large, boolean nxe, int maxPhysAddr) {
    BitAlgebra b = ConcreteBits.INSTANCE;
    return mask(b, mode, level, large, b.condition(nxe), b.constant(maxPhysAddr));
  }

  private static int slot(PagingMode mode, int level, boolean large, boolean nxe, int maxPhysAddr) {
    int slot = (maxPhysAddr - MIN_MAXPHYADDR) * PagingMode.values().length + mode.ordinal();
    slot = slot * MAX_LEVEL + level - 1;
    return (slot * 2 + (large ? 1 : 0)) * 2 + (nxe ? 1 : 0);
  }

  private static long[] concreteTable() {
    PagingMode[] modes = PagingMode.values();
    long[] table = new long[(MAX_MAXPHYADDR - MIN_MAXPHYADDR + 1) * modes.length * MAX_LEVEL * 4];
    for (int maxPhysAddr = MIN_MAXPHYADDR; maxPhysAddr <= MAX_MAXPHYADDR; maxPhysAddr++) {
      for (PagingMode mode : modes) {
        for (int level = 1; level <= MAX_LEVEL; level++) {
          for (int variant = 0; variant < 4; variant++) {
            boolean large = (variant & 2) != 0;
            boolean nxe = (variant & 1) != 0;
            table[slot(mode, level, large, nxe, maxPhysAddr)] = computed(mode, level, large, nxe, maxPhysAddr);
          }
        }
      }
    }
    return table;
  }

  /**
   * The mask over any interpretation of the algebra.
   *
   * @param nxe a condition: EFER.NXE
   * @param maxPhysAddr a vector holding MAXPHYADDR, 32..52
   */
  public static long mask(
      BitAlgebra b, PagingMode mode, int level, boolean large, long nxe, long maxPhysAddr) {
    switch (mode) {
      case TWO_LEVEL:
        return twoLevel(b, level, large, maxPhysAddr);
      case PAE:
        return pae(b, level, large, nxe, maxPhysAddr);
      default:
        return fourLevel(b, level, large, nxe, maxPhysAddr);
    }
  }

  private static long twoLevel(BitAlgebra b, int level, boolean large, long maxPhysAddr) {
    if (level == 2 && large) {
      // PSE-36: PDE bits (M-20):13 carry physical-address bits (M-1):32, where M is MAXPHYADDR
      // capped at 40; bits 21:(M-19) are reserved.
      long m = b.select(b.lessUnsigned(maxPhysAddr, b.constant(40)), maxPhysAddr, b.constant(40));
      return b.bitsFrom(21, b.subtract(m, b.constant(32 - 13)));
    }
    return b.constant(0);
  }

  private static long pae(BitAlgebra b, int level, boolean large, long nxe, long maxPhysAddr) {
    if (level == 3) {
      // PDPTE: bits 2:1 and 8:5 are reserved, and so is everything from MAXPHYADDR up,
      // including bit 63: a PDPTE has no execute-disable bit.
      return b.or(b.bitsFrom(63, maxPhysAddr), b.constant(EntryBits.bits(8, 5) | EntryBits.bits(2, 1)));
    }
    long mask = b.or(b.bitsFrom(62, maxPhysAddr), executeDisable(b, nxe));
    if (large) {
      mask = b.or(mask, b.constant(EntryBits.bits(20, 13)));
    }
    return mask;
  }

  private static long fourLevel(BitAlgebra b, int level, boolean large, long nxe, long maxPhysAddr) {
    long mask = b.or(b.bitsFrom(51, maxPhysAddr), executeDisable(b, nxe));
    if (level == 4) {
      mask = b.or(mask, b.constant(EntryBits.PS));
    } else if (level == 3 && large) {
      mask = b.or(mask, b.constant(EntryBits.bits(29, 13)));
    } else if (level == 2 && large) {
      mask = b.or(mask, b.constant(EntryBits.bits(20, 13)));
    }
    return mask;
  }

  private static long executeDisable(BitAlgebra b, long nxe) {
    return b.when(b.not(nxe), b.constant(EntryBits.NX));
  }
}
