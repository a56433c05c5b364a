package org.shadowref.check.invariants;

import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.shadow.invariant.InvariantIds;
import org.shadowref.shadow.invariant.ShadowTable;
import org.shadowref.shadow.invariant.ShadowView;

/**
 * INV-OOS (its state half): only l1 shadows of guest tables are ever out
 * of sync; a guest table out of sync is shadowed at no other level (else a stale directory entry
 * could send the hardware into a table the guest no longer uses); and at most {@link
 * #MAX_FRAMES_PER_VCPU} guest tables per vCPU are out of sync at once; and every entry of an out-of-sync table that a resync
 * would leave as it is ({@link ShadowView#resyncSkips}: its guest word is the snapshot's, and it
 * was not written since) is already the propagation of its guest entry, so a resync does bring
 * the table back in sync. Stale entries exist only there: INV-COHERENT and INV-NO-AMPLIFY hold
 * on every other table. That every out-of-sync table is resynchronised before
 * the guest could see more than TLB staleness is the temporal half, checked against native with
 * a TLB model (OutOfSyncPropertyTest).
 */
public final class OutOfSync implements InvariantPredicate {
  /** The most guest tables an engine lets go out of sync at once, per vCPU (Xen's {@code SHADOW_OOS_PAGES}). */
  public static final int MAX_FRAMES_PER_VCPU = 3;

  @Override
  public String id() {
    return InvariantIds.OUT_OF_SYNC;
  }

  @Override
  public @Nullable String violation(ShadowScan scan) {
    ShadowView view = scan.view();
    java.util.List<ShadowTable> tables = scan.tables();
    java.util.List<Long> frames = new java.util.ArrayList<>();
    for (ShadowTable table : tables) {
      if (!view.isOutOfSync(table)) {
        continue;
      }
      if (table.level() != 1 || !table.shadowsGuestFrame()) {
        return table.key() + " is out of sync but is no l1 shadow of a guest table";
      }
      if (!frames.contains(table.guestGfn())) {
        frames.add(table.guestGfn());
      }
      for (ShadowTable other : tables) {
        if (other.shadowsGuestFrame() && other.guestGfn() == table.guestGfn() && other.level() != 1) {
          return table.key() + " is out of sync while its guest table is also shadowed as " + other.key();
        }
      }
      for (ShadowScan.Entries at = scan.entries(table); at.next(); ) {
        if (view.resyncSkips(table, at.part(), at.index())) {
          String wrong = scan.spec().violation(table, at.part(), at.index(), at.entry());
          if (wrong != null) {
            return at.where() + " would be skipped by a resync (its guest word is the snapshot's), "
                + wrong;
          }
        }
      }
    }
    int most = MAX_FRAMES_PER_VCPU * view.guest().vcpuCount();
    if (frames.size() > most) {
      return frames.size() + " guest tables are out of sync, more than " + most + " (" + MAX_FRAMES_PER_VCPU
          + " per vCPU)";
    }
    return null;
  }
}
