package org.shadowref.check.invariants;

import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.arch.Addr;
import org.shadowref.arch.qual.Gfn;
import org.shadowref.memory.P2m;
import org.shadowref.memory.P2mType;
import org.shadowref.shadow.GuestMachine;
import org.shadowref.shadow.invariant.InvariantIds;
import org.shadowref.shadow.invariant.ShadowView;

/**
 * INV-LOG-DIRTY: while log-dirty mode is on, every guest frame whose contents or P2M entry differ
 * from what they were at the last clean is in the dirty log, so a migration that sends the dirty
 * frames again loses nothing. What changed is read off memory: the guest now against the ghost
 * copy the engine keeps of it at the last clean, frame by frame, not from the engine's account.
 */
public final class LogDirty implements InvariantPredicate {
  @Override
  public String id() {
    return InvariantIds.LOG_DIRTY;
  }

  @Override
  public @Nullable String violation(ShadowScan scan) {
    ShadowView view = scan.view();
    GuestMachine then = view.logDirtyBaseline();
    if (then == null) {
      return null;
    }
    GuestMachine now = view.guest();
    String missed = missed(view, now, then, now.p2m());
    return missed != null ? missed : missed(view, now, then, then.p2m());
  }

  /** A frame of {@code frames} (the P2M of now or of then) that changed and is not logged, or null. */
  private static @Nullable String missed(ShadowView view, GuestMachine now, GuestMachine then, P2m frames) {
    for (int i = 0; i < frames.mappableCount(); i++) {
      @Gfn long gfn = frames.mappableGfn(i);
      if (!view.loggedDirty(gfn) && changed(now, then, gfn)) {
        return "guest frame " + Addr.hex(gfn) + " changed since the last clean (" + what(now, then, gfn)
            + ") but is not in the dirty log";
      }
    }
    return null;
  }

  private static boolean changed(GuestMachine now, GuestMachine then, @Gfn long gfn) {
    P2mType type = now.p2m().type(gfn);
    if (type != then.p2m().type(gfn)) {
      return true;
    }
    return type.isRam() && !now.machine().frameEquals(now.p2m().mfn(gfn), then.machine(), then.p2m().mfn(gfn));
  }

  private static String what(GuestMachine now, GuestMachine then, @Gfn long gfn) {
    P2mType type = now.p2m().type(gfn);
    return type != then.p2m().type(gfn) ? "its P2M type was " + then.p2m().type(gfn) + ", is " + type : "its contents";
  }
}
