package org.shadowref.check.invariants;

import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.arch.Addr;
import org.shadowref.shadow.GuestMachine;
import org.shadowref.shadow.invariant.InvariantIds;
import org.shadowref.shadow.invariant.ShadowTable;

/**
 * INV-ISOLATION: every machine frame a present shadow leaf maps is guest RAM in the P2M: a guest
 * frame, backing some guest frame number, and never a shadow table.
 */
public final class Isolation implements InvariantPredicate {
  @Override
  public String id() {
    return InvariantIds.ISOLATION;
  }

  @Override
  public @Nullable String violation(ShadowScan scan) {
    GuestMachine guest = scan.view().guest();
    for (ShadowTable table : scan.tables()) {
      if (table.level() != 1) {
        continue;
      }
      for (ShadowScan.Entries at = scan.entries(table); at.next(); ) {
        if (ShadowEntries.magic(table, at.entry())) {
          continue; // a magic marker maps nothing: INV-MAGIC judges it
        }
        long mfn = ShadowEntries.frame(table, at.entry());
        if (!guest.isGuestFrame(Addr.mfn(mfn)) || scan.tableAt(mfn) != null) {
          return at.where() + " maps hypervisor frame " + Addr.hex(mfn);
        }
        if (guest.p2m().gfnOfMfn(Addr.mfn(mfn)) < 0) {
          return at.where() + " maps frame " + Addr.hex(mfn) + ", which backs no guest RAM";
        }
      }
    }
    return null;
  }
}
