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
      for (ShadowScan.Entries at = scan.entries(table); at.next(); ) {
        long frame = ShadowEntries.frame(table, at.entry());
        if ((at.entry() & EntryBits.RW) != 0 && shadowed.contains(frame)) {
          return at.where() + " makes shadowed page table " + Addr.hex(frame) + " writable";
        }
      }
    }
    return null;
  }
}
