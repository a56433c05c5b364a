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
  private ReservedBits() {}

  private static final int MAX_LEVEL = 4;
  private static final int MIN_PHYS_ADDR = 32;
  private static final int MAX_PHYS_ADDR = 52;
  /**
   * Every concrete mask a CPU model can ask for, computed once over the algebra: the MMU looks a
   * mask up on every level of every walk, and evaluating the algebra each time dominated a walk.
   */
  private static final long[] CONCRETE = concreteTable();

  /**
   * The reserved-bit mask of an entry.
   *
   * @param level 1 for page tables, up to {@link PagingMode#levels()}
   * @param large whether the entry is a PS=1 leaf (a 4 MiB, 2 MiB or 1 GiB page)
   */
  public static long mask(
      PagingMode mode, int level, boolean large, boolean nxe, int maxPhysAddr) {
    if (level >= 1 && level <= MAX_LEVEL && maxPhysAddr >= MIN_PHYS_ADDR && maxPhysAddr <= MAX_PHYS_ADDR) {
      return CONCRETE[concreteIndex(mode, level, large, nxe, maxPhysAddr)];
    }
    return computeConcrete(mode, level, large, nxe, maxPhysAddr);
  }

  private static int concreteIndex(PagingMode mode, int level, boolean large, boolean nxe, int maxPhysAddr) {
    int index = mode.ordinal() * MAX_LEVEL + (level - 1);
    index = index * 4 + (large ? 2 : 0) + (nxe ? 1 : 0);
    return index * (MAX_PHYS_ADDR - MIN_PHYS_ADDR + 1) + (maxPhysAddr - MIN_PHYS_ADDR);
  }

  private static long[] concreteTable() {
    PagingMode[] modes = PagingMode.values();
    long[] table = new long[modes.length * MAX_LEVEL * 4 * (MAX_PHYS_ADDR - MIN_PHYS_ADDR + 1)];
    for (PagingMode mode : modes) {
      for (int level = 1; level <= MAX_LEVEL; level++) {
        for (int flags = 0; flags < 4; flags++) {
          boolean large = (flags & 2) != 0;
          boolean nxe = (flags & 1) != 0;
          for (int phys = MIN_PHYS_ADDR; phys <= MAX_PHYS_ADDR; phys++) {
            table[concreteIndex(mode, level, large, nxe, phys)] = computeConcrete(mode, level, large, nxe, phys);
          }
        }
      }
    }
    return table;
  }

  private static long computeConcrete(PagingMode mode, int level, boolean large, boolean nxe, int maxPhysAddr) {
    BitAlgebra b = ConcreteBits.INSTANCE;
    return mask(b, mode, level, large, b.condition(nxe), b.constant(maxPhysAddr));
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
