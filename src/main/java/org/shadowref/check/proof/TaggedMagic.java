package org.shadowref.check.proof;

import org.shadowref.arch.EntryBits;
import org.shadowref.arch.bits.BitAlgebra;
import org.shadowref.shadow.entry.MagicEntries;

/**
 * Broken magic encodings for the lemmas to refute: {@link MagicEntries}' layout with the tag
 * moved to other bits.
 */
final class TaggedMagic implements MagicRules {
  private final long tag;

  TaggedMagic(long tag) {
    this.tag = tag;
  }

  @Override
  public long guestNotPresentEntry(BitAlgebra b) {
    return b.constant(tag | EntryBits.P);
  }

  @Override
  public long isMagic(BitAlgebra b, long entry) {
    return b.allSet(entry, tag | EntryBits.P);
  }

  @Override
  public long isGuestNotPresent(BitAlgebra b, long entry) {
    return b.equalTo(entry, tag | EntryBits.P);
  }

  @Override
  public long isMmio(BitAlgebra b, long entry) {
    return b.and(isMagic(b, entry), b.anySet(entry, MagicEntries.MMIO_KIND));
  }

  @Override
  public long encodeMmio(BitAlgebra b, long gfn) {
    return b.or(
        b.constant(tag | MagicEntries.MMIO_KIND | EntryBits.P),
        b.shiftLeft(b.masked(gfn, MagicEntries.GFN_LIMIT - 1), MagicEntries.GFN_SHIFT));
  }
}
