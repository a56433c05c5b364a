package org.shadowref.check.proof;

import org.shadowref.arch.bits.BitAlgebra;
import org.shadowref.shadow.entry.MagicEntries;

/** The shape of the magic-entry rules over the algebra; {@link #CODE} is {@link MagicEntries}. */
public interface MagicRules {
  MagicRules CODE = new MagicRules() {};

  default long guestNotPresentEntry(BitAlgebra b) {
    return b.constant(MagicEntries.GUEST_NOT_PRESENT);
  }

  default long isMagic(BitAlgebra b, long entry) {
    return MagicEntries.isMagic(b, entry);
  }

  default long isGuestNotPresent(BitAlgebra b, long entry) {
    return MagicEntries.isGuestNotPresent(b, entry);
  }

  default long isMmio(BitAlgebra b, long entry) {
    return MagicEntries.isMmio(b, entry);
  }

  default long mmioGfn(BitAlgebra b, long entry) {
    return MagicEntries.mmioGfn(b, entry);
  }

  default long encodeMmio(BitAlgebra b, long gfn) {
    return MagicEntries.encodeMmio(b, gfn);
  }
}
