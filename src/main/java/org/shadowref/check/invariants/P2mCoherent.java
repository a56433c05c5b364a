package org.shadowref.check.invariants;

import java.util.Arrays;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.arch.Addr;
import org.shadowref.arch.EntryBits;
import org.shadowref.arch.qual.Gfn;
import org.shadowref.check.spec.MagicMarkers;
import org.shadowref.memory.P2m;
import org.shadowref.memory.P2mType;
import org.shadowref.shadow.invariant.InvariantIds;
import org.shadowref.shadow.invariant.ShadowTable;
import org.shadowref.shadow.invariant.ShadowView;

/**
 * INV-P2M-COHERENT: no shadow leaf or MMIO marker follows a P2M entry other than the current one.
 * A leaf whose guest entry is known (every leaf of an in-sync shadow, and those of an out-of-sync
 * one whose guest word is as it was) maps exactly the machine frame the P2M gives its guest frame
 * now, which must be RAM, and writably only if that frame is writable RAM; a leaf of an out-of-sync
 * shadow that may lag its guest entry maps a frame some guest frame has as RAM now (and writably
 * only if some has it as writable RAM); an MMIO marker names a frame the P2M has as MMIO now. The
 * engines keep no other translation (their hardware has no TLB), so nothing else can lag the P2M.
 */
public final class P2mCoherent implements InvariantPredicate {
  @Override
  public String id() {
    return InvariantIds.P2M_COHERENT;
  }

  @Override
  public @Nullable String violation(ShadowScan scan) {
    ShadowView view = scan.view();
    P2m p2m = view.guest().p2m();
    P2mType[] backing = null; // by machine frame, the most a guest frame grants it: made if needed
    for (ShadowTable table : scan.tables()) {
      if (table.level() != 1) {
        continue;
      }
      boolean outOfSync = view.isOutOfSync(table);
      for (ShadowScan.Entries at = scan.entries(table); at.next(); ) {
        long entry = at.entry();
        if (ShadowEntries.magic(table, entry)) {
          if (MagicMarkers.isMmioMarker(entry) && p2m.type(Addr.gfn(MagicMarkers.mmioGfn(entry))) != P2mType.MMIO) {
            return at.where() + " marks guest frame " + Addr.hex(MagicMarkers.mmioGfn(entry)) + " as MMIO, the P2M has "
                + p2m.type(Addr.gfn(MagicMarkers.mmioGfn(entry)));
          }
          continue;
        }
        long mfn = ShadowEntries.frame(table, entry);
        boolean writable = (entry & EntryBits.RW) != 0;
        long gfn = outOfSync && !view.resyncSkips(table, at.part(), at.index())
            ? -1 : scan.spec().leafGfn(table, at.part(), at.index());
        if (gfn >= 0) {
          String wrong = judgeKnown(p2m, Addr.gfn(gfn), mfn, writable);
          if (wrong != null) {
            return at.where() + " " + wrong;
          }
          continue;
        }
        if (backing == null) {
          backing = backing(p2m, view.guest().guestFrameLimit());
        }
        P2mType most = mfn < backing.length ? backing[(int) mfn] : P2mType.ABSENT;
        if (!most.isRam() || (writable && most != P2mType.RAM)) {
          return at.where() + " maps machine frame " + Addr.hex(mfn) + (writable ? " writably" : "")
              + ", which no guest frame has as " + (writable ? "writable RAM" : "RAM") + " now";
        }
      }
    }
    return null;
  }

  /** Why a leaf for guest frame {@code gfn} may not map {@code mfn} (writably), or null. */
  private static @Nullable String judgeKnown(P2m p2m, @Gfn long gfn, long mfn, boolean writable) {
    P2mType type = p2m.type(gfn);
    if (!type.isRam()) {
      return "maps guest frame " + Addr.hex(gfn) + ", which the P2M has as " + type + " now";
    }
    if (p2m.mfn(gfn) != mfn) {
      return "maps machine frame " + Addr.hex(mfn) + " for guest frame " + Addr.hex(gfn) + ", which the P2M puts at "
          + Addr.hex(p2m.mfn(gfn)) + " now";
    }
    if (writable && type != P2mType.RAM) {
      return "maps guest frame " + Addr.hex(gfn) + " writably, which the P2M has as " + type + " now";
    }
    return null;
  }

  /** By machine frame below {@code limit}: RAM if some guest frame has it as RAM, else RAM_RO or ABSENT. */
  private static P2mType[] backing(P2m p2m, int limit) {
    P2mType[] most = new P2mType[limit];
    Arrays.fill(most, P2mType.ABSENT);
    for (int i = 0; i < p2m.mappableCount(); i++) {
      @Gfn long gfn = p2m.mappableGfn(i);
      P2mType type = p2m.type(gfn);
      long mfn = p2m.mfn(gfn);
      if (type.isRam() && mfn >= 0 && mfn < limit && most[(int) mfn] != P2mType.RAM) {
        most[(int) mfn] = type;
      }
    }
    return most;
  }
}
