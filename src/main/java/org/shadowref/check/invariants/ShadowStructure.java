package org.shadowref.check.invariants;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.arch.Addr;
import org.shadowref.shadow.invariant.InvariantIds;
import org.shadowref.shadow.invariant.ShadowTable;
import org.shadowref.shadow.invariant.ShadowView;

/**
 * INV-SHADOW-STRUCTURE: each shadow has one index key and frames of its own above the guest's
 * frames; every present directory entry points at a shadow of a type its table may point at; and
 * each reference count is exactly the number of present entries pointing at the shadow, plus the
 * vCPUs running on it, plus one if it is pinned, plus one for each vCPU that keeps it among its
 * previous roots (so no shadow is kept alive by nothing); and only top-level shadows, which no
 * entry points at, are pinned or kept as previous roots.
 */
public final class ShadowStructure implements InvariantPredicate {
  @Override
  public String id() {
    return InvariantIds.SHADOW_STRUCTURE;
  }

  @Override
  public @Nullable String violation(ShadowScan scan) {
    ShadowView view = scan.view();
    List<ShadowTable> tables = scan.tables();
    Set<String> keys = new HashSet<>();
    Map<Long, ShadowTable> frames = new HashMap<>();
    Map<String, Integer> counted = new HashMap<>();
    for (ShadowTable table : tables) {
      if (!keys.add(table.key())) {
        return "two shadows under key " + table.key();
      }
      for (long mfn : table.mfns()) {
        if (view.guest().isGuestFrame(Addr.mfn(mfn))) {
          return table + " lives in guest frame " + Addr.hex(mfn);
        }
        ShadowTable other = frames.put(mfn, table);
        if (other != null) {
          return table + " and " + other + " share frame " + Addr.hex(mfn);
        }
      }
      counted.put(table.key(), (table.pinned() ? 1 : 0) + table.previousRoots());
    }
    for (int vcpu = 0; vcpu < view.guest().vcpuCount(); vcpu++) {
      ShadowTable root = view.rootOf(vcpu);
      if (root == null) {
        return "vcpu" + vcpu + " has no top-level shadow";
      }
      counted.put(root.key(), counted.getOrDefault(root.key(), 0) + 1);
    }
    for (ShadowTable table : tables) {
      if (table.level() == 1) {
        continue;
      }
      for (ShadowScan.Entries at = scan.entries(table); at.next(); ) {
        ShadowTable child = frames.get(ShadowEntries.frame(table, at.entry()));
        if (child == null) {
          return at.where() + " points at no shadow";
        }
        if (!table.mayPointAt(child.type())) {
          return at.where() + " points at a " + child.type();
        }
        if (child.pinned() || child.previousRoots() > 0) {
          return at.where() + " points at " + child + ", which is " + (child.pinned() ? "pinned" : "a previous root")
              + ": only top-level shadows may be";
        }
        counted.put(child.key(), counted.getOrDefault(child.key(), 0) + 1);
      }
    }
    for (ShadowTable table : tables) {
      int references = counted.getOrDefault(table.key(), 0);
      if (references != table.refCount()) {
        return table + " has " + references + " references";
      }
      if (references == 0) {
        return table + " is referenced by nothing";
      }
    }
    return null;
  }
}
