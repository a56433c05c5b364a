package org.shadowref.check.proof;

import org.shadowref.arch.bits.BitAlgebra;
import org.shadowref.shadow.entry.Propagation;

/** The shape of the propagation rules over the algebra; {@link #CODE} is {@link Propagation}. */
public interface PropagationRules {
  PropagationRules CODE = new PropagationRules() {};

  default long leaf(
      BitAlgebra b,
      long guestLeaf,
      long type,
      long mfn,
      long targetIsPageTable,
      long nxe,
      long long64) {
    return Propagation.leaf(b, guestLeaf, type, mfn, targetIsPageTable, nxe, long64);
  }

  /** {@link Propagation#asSmallLeaf}: a large leaf as the 4 KiB leaf of one of its pieces. */
  default long asSmallLeaf(BitAlgebra b, long guestLargeLeaf) {
    return Propagation.asSmallLeaf(b, guestLargeLeaf);
  }

  default long directory(
      BitAlgebra b, long guestEntry, long paePdpte, long shadowMfn, long nxe, long long64) {
    return Propagation.directory(b, guestEntry, paePdpte, shadowMfn, nxe, long64);
  }
}
