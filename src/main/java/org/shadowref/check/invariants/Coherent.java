package org.shadowref.check.invariants;

import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.check.spec.PropagationSpec;
import org.shadowref.shadow.invariant.InvariantIds;
import org.shadowref.shadow.invariant.ShadowTable;
import org.shadowref.shadow.invariant.ShadowView;

/**
 * INV-COHERENT: every present shadow entry is what the specification of propagation ({@link
 * PropagationSpec}, written apart from the engines' derivation) allows for the guest entry it
 * shadows as the guest's memory holds it now. Entries may be absent (built on demand), never
 * stale, except in an l1 shadow that is out of sync (INV-OOS).
 */
public final class Coherent implements InvariantPredicate {
  @Override
  public String id() {
    return InvariantIds.COHERENT;
  }

  @Override
  public @Nullable String violation(ShadowScan scan) {
    ShadowView view = scan.view();
    PropagationSpec spec = scan.spec();
    for (ShadowTable table : scan.tables()) {
      if (view.isOutOfSync(table)) {
        continue; // may lag the guest as a TLB may: INV-OOS judges it
      }
      for (ShadowScan.Entries at = scan.entries(table); at.next(); ) {
        String wrong = spec.violation(table, at.part(), at.index(), at.entry());
        if (wrong != null) {
          return at.where() + " " + wrong;
        }
      }
    }
    return null;
  }
}
