package org.shadowref.check.invariants;

import org.shadowref.arch.Addr;
import org.shadowref.arch.EntryBits;
import org.shadowref.check.spec.MagicMarkers;
import org.shadowref.shadow.invariant.ShadowTable;

/** Reading shadow entries out of machine memory, for the predicates. */
final class ShadowEntries {
  private ShadowEntries() {}

  static boolean present(long entry) {
    return (entry & EntryBits.P) != 0;
  }

  /** Whether a present entry of {@code table} is a magic marker, which maps no memory. */
  static boolean magic(ShadowTable table, long entry) {
    return table.entryBytes() == 8 && MagicMarkers.isMarker(entry);
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
