package org.shadowref.check.invariants;

import java.util.HashSet;
import java.util.Set;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.arch.Addr;
import org.shadowref.arch.EntryBits;
import org.shadowref.shadow.GuestMachine;
import org.shadowref.shadow.invariant.InvariantIds;
import org.shadowref.shadow.invariant.ShadowTable;
import org.shadowref.shadow.invariant.ShadowView;

/**
 * INV-WRITE-PROTECT: no present shadow leaf grants write access to a machine frame holding a
 * guest page table that has shadows. The shadowed frames are worked out from the index (the
 * guest frames tables are indexed under, through the P2M), not taken from the engine's word.
 */
public final class WriteProtect implements InvariantPredicate {
  @Override
  public String id() {
    return InvariantIds.WRITE_PROTECT;
  }

  @Override
  public @Nullable String violation(ShadowScan scan) {
    ShadowView view = scan.view();
    GuestMachine guest = view.guest();
    Set<Long> shadowed = new HashSet<>();
    for (ShadowTable table : scan.tables()) {
      // An out-of-sync l1 is left writable on purpose (INV-OOS bounds what that may show).
      if (table.shadowsGuestFrame() && guest.p2m().type(Addr.gfn(table.guestGfn())).isRam()
          && !view.isOutOfSync(table)) {
        shadowed.add((long) guest.p2m().mfn(Addr.gfn(table.guestGfn())));
      }
    }
    for (ShadowTable table : scan.tables()) {
      if (table.level() != 1) {
        continue;
      }
      for (int part = 0; part < table.parts(); part++) {
        ShadowScan.PresentEntries entries = scan.present(table, part);
        for (int i = 0; i < entries.count(); i++) {
          int index = entries.index(i);
          long entry = entries.entry(i);
          if ((entry & EntryBits.RW) != 0 && shadowed.contains(ShadowEntries.frame(table, entry))) {
            return ShadowEntries.where(table, part, index, entry) + " makes shadowed page table "
                + Addr.hex(ShadowEntries.frame(table, entry)) + " writable";
          }
        }
      }
    }
    return null;
  }
}
