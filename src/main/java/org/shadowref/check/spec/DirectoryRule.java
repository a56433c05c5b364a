package org.shadowref.check.spec;

import org.shadowref.arch.EntryBits;
import org.shadowref.arch.bits.BitAlgebra;
import org.shadowref.arch.bits.ConcreteBits;

/**
 * What a shadow directory entry must be, given the guest entry it stands for and the machine
 * frame of the shadow it points at (SDM vol. 3, tables 4-5, 4-8 to 4-10, 4-14 to 4-18):
 *
 * <ul>
 *   <li>present only when the guest entry is present and, but for a PAE PDPTE (which has no A
 *       bit), has A set (else the first access must fault into the handler, which sets A);
 *   <li>a PAE PDPTE is P and the frame alone: its other bits are reserved;
 *   <li>any other is P, A, the guest entry's R/W and U/S (the hardware combines the rights of
 *       every level, so each level keeps the guest's), and NX when the shadow is 64 bits wide,
 *       the guest runs with EFER.NXE and the guest entry has NX; nothing else (PWT and PCD of a
 *       directory entry are about the table it points at, which is a shadow, not the guest's).
 * </ul>
 *
 * Written over {@link BitAlgebra} so that proofs/propagation-spec.md can show the engines'
 * {@code Propagation.directory} equal to it.
 */
public final class DirectoryRule {
  private DirectoryRule() {}

  /** The shadow directory entry, or 0 when none may be present. */
  public static long entry(long guest, boolean pdpte, long childMfn, boolean nxe, boolean long64) {
    BitAlgebra b = ConcreteBits.INSTANCE;
    return entry(b, guest, b.condition(pdpte), childMfn, b.condition(nxe), b.condition(long64));
  }

  /** {@link #entry(long, boolean, long, boolean, boolean)} over any interpretation. */
  public static long entry(BitAlgebra b, long guest, long pdpte, long childMfn, long nxe, long long64) {
    long present = b.and(b.anySet(guest, EntryBits.P), b.or(pdpte, b.anySet(guest, EntryBits.A)));
    long pointer = b.or(b.shiftLeft(childMfn, 12), b.constant(EntryBits.P));
    long rights = b.constant(EntryBits.A);
    rights = b.or(rights, b.masked(guest, EntryBits.RW));
    rights = b.or(rights, b.masked(guest, EntryBits.US));
    long executeDisable = b.and(b.and(long64, nxe), b.anySet(guest, EntryBits.NX));
    rights = b.or(rights, b.when(executeDisable, b.constant(EntryBits.NX)));
    long value = b.select(pdpte, pointer, b.or(pointer, rights));
    return b.select(present, value, b.constant(0));
  }
}
