package org.shadowref.shadow.entry;

import org.shadowref.arch.Addr;
import org.shadowref.arch.EntryBits;
import org.shadowref.arch.PagingMode;
import org.shadowref.arch.qual.Mfn;
import org.shadowref.memory.P2mType;

/**
 * How a guest entry becomes a shadow entry (Xen's {@code _sh_propagate}). A shadow entry never
 * grants more than the guest entry and the P2M type both grant; it is absent whenever the guest
 * still has an A (or, for writes, D) bit for the hardware to set, so that the first such access
 * faults into the engine, which sets the guest's bit as the hardware would have.
 *
 * <p>Pure functions of their arguments: the engines call them, and proofs/ proves properties of
 * them for all inputs.
 */
public final class Propagation {
  /** The guest-leaf bits a 4 KiB shadow leaf copies unchanged. */
  private static final long COPIED_LEAF_BITS =
      EntryBits.US | EntryBits.PWT | EntryBits.PCD | EntryBits.PAT_4K;

  private Propagation() {}

  /**
   * The shadow l1e for a guest leaf.
   *
   * @param guestLeaf the guest leaf in 4 KiB-entry form (a large-page leaf has its PAT bit moved
   *     to bit 7 by the caller, see {@link #asSmallLeaf})
   * @param type the P2M type of the target guest frame
   * @param mfn the machine frame behind it (ignored unless {@code type} is RAM)
   * @param targetIsPageTable whether the target frame is a shadowed guest page table
   * @param nxe EFER.NXE of the guest
   * @return the shadow entry, 0 (not present) when the access must fault into the engine
   */
  public static long leaf(
      long guestLeaf,
      P2mType type,
      @Mfn long mfn,
      boolean targetIsPageTable,
      boolean nxe,
      ShadowFormat format) {
    if ((guestLeaf & EntryBits.P) == 0 || (guestLeaf & EntryBits.A) == 0 || !type.isRam()) {
      return 0;
    }
    long entry = Addr.maddrOf(mfn, 0) | EntryBits.P | EntryBits.A | (guestLeaf & COPIED_LEAF_BITS);
    boolean writable =
        (guestLeaf & EntryBits.RW) != 0
            && (guestLeaf & EntryBits.D) != 0
            && type == P2mType.RAM
            && !targetIsPageTable;
    if (writable) {
      entry |= EntryBits.RW | EntryBits.D;
    }
    if (format == ShadowFormat.LONG_64 && nxe && (guestLeaf & EntryBits.NX) != 0) {
      entry |= EntryBits.NX;
    }
    return entry;
  }

  /**
   * The shadow entry for a guest directory entry, pointing at the shadow table {@code shadowMfn}
   * that shadows what the guest entry points at (or the splinter table of a guest large page).
   * PAE PDPTEs have no A bit and no rights; every other level needs A set to be shadowed.
   */
  public static long directory(
      long guestEntry,
      PagingMode guestMode,
      int guestLevel,
      @Mfn long shadowMfn,
      boolean nxe,
      ShadowFormat format) {
    if ((guestEntry & EntryBits.P) == 0) {
      return 0;
    }
    boolean pdpte = guestMode == PagingMode.PAE && guestLevel == 3;
    if (!pdpte && (guestEntry & EntryBits.A) == 0) {
      return 0;
    }
    long entry = Addr.maddrOf(shadowMfn, 0) | EntryBits.P;
    if (pdpte) {
      return entry;
    }
    entry |= EntryBits.A | (guestEntry & (EntryBits.RW | EntryBits.US));
    if (format == ShadowFormat.LONG_64 && nxe && (guestEntry & EntryBits.NX) != 0) {
      entry |= EntryBits.NX;
    }
    return entry;
  }

  /**
   * A guest large-page leaf seen as the 4 KiB leaf for one of its pages: PS cleared, the large
   * PAT bit (12) moved to the small PAT position (7), the frame field dropped.
   */
  public static long asSmallLeaf(long guestLargeLeaf) {
    long flags = guestLargeLeaf & (0xFFFL | EntryBits.NX);
    flags &= ~EntryBits.PS;
    if ((guestLargeLeaf & EntryBits.PAT_LARGE) != 0) {
      flags |= EntryBits.PAT_4K;
    }
    return flags;
  }
}
