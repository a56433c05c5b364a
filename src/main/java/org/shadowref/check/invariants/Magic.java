package org.shadowref.check.invariants;

import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.arch.Addr;
import org.shadowref.check.spec.MagicMarkers;
import org.shadowref.memory.P2mType;
import org.shadowref.shadow.invariant.InvariantIds;
import org.shadowref.shadow.invariant.ShadowTable;
import org.shadowref.shadow.invariant.ShadowView;

/**
 * INV-MAGIC: a magic shadow entry can never be mistaken for, or stand in for, an entry propagated
 * from a guest entry. Magic entries sit only in 64-bit shadow l1s on a host whose MAXPHYADDR
 * keeps their tag reserved; each is exactly the guest-not-present marker or a well-formed MMIO
 * marker for a guest frame the P2M holds as MMIO; and no other present shadow entry carries any
 * tag bit, so nothing propagated looks magic.
 */
public final class Magic implements InvariantPredicate {
  @Override
  public String id() {
    return InvariantIds.MAGIC;
  }

  @Override
  public @Nullable String violation(ShadowScan scan) {
    for (ShadowTable table : scan.tables()) {
      for (ShadowScan.Entries at = scan.entries(table); at.next(); ) {
        String found = judge(scan.view(), table, at);
        if (found != null) {
          return found;
        }
      }
    }
    return null;
  }

  private static @Nullable String judge(ShadowView view, ShadowTable table, ShadowScan.Entries at) {
    long entry = at.entry();
    if (!ShadowEntries.magic(table, entry)) {
      return (entry & MagicMarkers.TAG) != 0 && table.entryBytes() == 8
          ? at.where() + " carries magic tag bits without being magic"
          : null;
    }
    // Built only past the common case: this predicate judges every present entry of every state.
    String where = at.where();
    if (table.level() != 1) {
      return where + " is magic in a level-" + table.level() + " table";
    }
    if (!MagicMarkers.tagReserved(view.hostCpu().maxPhysAddr())) {
      return where + " is magic on a host with MAXPHYADDR " + view.hostCpu().maxPhysAddr()
          + ", where its tag is not reserved";
    }
    if (entry == MagicMarkers.NOT_PRESENT) {
      return null;
    }
    if (!MagicMarkers.isMmioMarker(entry)) {
      return where + " is neither the guest-not-present marker nor a well-formed MMIO marker";
    }
    long gfn = MagicMarkers.mmioGfn(entry);
    P2mType type = view.guest().p2m().type(Addr.gfn(gfn));
    if (type != P2mType.MMIO) {
      return where + " marks guest frame " + Addr.hex(gfn) + " as MMIO, the P2M has " + type;
    }
    return null;
  }
}
