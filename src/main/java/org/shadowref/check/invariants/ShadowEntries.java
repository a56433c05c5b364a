package org.shadowref.check.invariants;

import org.shadowref.arch.Addr;
import org.shadowref.arch.EntryBits;
import org.shadowref.shadow.entry.MagicEntries;
import org.shadowref.shadow.invariant.ShadowTable;
import org.shadowref.shadow.invariant.ShadowView;

/** Reading shadow entries out of machine memory, for the predicates. */
final class ShadowEntries {
  private ShadowEntries() {}

  /**
   * Every entry of one part of {@code table}, in index order: one frame read instead of an access
   * per entry (the predicates scan every table in every state a model explores).
   */
  static long[] all(ShadowView view, ShadowTable table, int part) {
    long[] words = view.guest().machine().frameWords(Addr.mfn(table.mfn(part)));
    if (table.entryBytes() == 8) {
      return words;
    }
    long[] entries = new long[words.length * 2];
    for (int i = 0; i < words.length; i++) {
      entries[2 * i] = words[i] & 0xFFFF_FFFFL;
      entries[2 * i + 1] = words[i] >>> 32;
    }
    return entries;
  }

  static boolean present(long entry) {
    return (entry & EntryBits.P) != 0;
  }

  /** Whether a present entry of {@code table} is a magic marker, which maps no memory. */
  static boolean magic(ShadowTable table, long entry) {
    return table.entryBytes() == 8 && MagicEntries.isMagic(entry);
  }

  /** The machine frame an entry of {@code table} points at. */
  static long frame(ShadowTable table, long entry) {
    long mask = table.entryBytes() == 4 ? EntryBits.ADDR_MASK_32 : EntryBits.ADDR_MASK_64;
    return (entry & mask) >>> Addr.PAGE_SHIFT;
  }

  static String where(ShadowTable table, int part, int index, long entry) {
    return table.key() + " part " + part + " entry " + index + " = " + Addr.hex(entry)
        + " (" + EntryBits.describe(entry) + ")";
  }
}
