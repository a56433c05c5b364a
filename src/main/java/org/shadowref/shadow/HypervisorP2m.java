package org.shadowref.shadow;

import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.arch.Addr;
import org.shadowref.arch.qual.Gfn;
import org.shadowref.arch.qual.Mfn;
import org.shadowref.memory.P2m;
import org.shadowref.memory.P2mType;

/**
 * How a {@link GuestOp.SetP2m} changes the guest, shared by every platform so that they cannot
 * disagree on it: which changes the hypervisor accepts, the page copy of a migration, the new
 * entry. What a shadow engine must then do to its shadows is the engine's (INV-P2M-COHERENT).
 */
public final class HypervisorP2m {
  private HypervisorP2m() {}

  /**
   * Why the hypervisor would not make this change, or null when it would: the guest frame must be
   * one the P2M holds, RAM must be backed by a machine frame of the guest's side (never one the
   * hypervisor keeps shadows in), and only RAM can be copied, to RAM.
   */
  public static @Nullable String refusal(GuestMachine guest, GuestOp.SetP2m op) {
    P2m p2m = guest.p2m();
    @Gfn long gfn = op.gfn();
    if (gfn < 0 || gfn >= p2m.gfnCount()) {
      return "guest frame " + Addr.hex(gfn) + " is outside the P2M's " + p2m.gfnCount() + " frames";
    }
    if (op.type().isRam() && !guest.isGuestFrame(op.mfn())) {
      return "machine frame " + Addr.hex(op.mfn()) + " is not one of the guest's " + guest.guestFrameLimit();
    }
    if (!op.type().isRam() && op.mfn() != P2m.INVALID_MFN) {
      return "a " + op.type() + " entry has no machine frame, got " + Addr.hex(op.mfn());
    }
    if (op.copy() && !(op.type().isRam() && p2m.type(gfn).isRam())) {
      return "only RAM is copied, to RAM: guest frame " + Addr.hex(gfn) + " is " + p2m.type(gfn) + ", the new entry "
          + op.type();
    }
    return null;
  }

  /** Makes the change on {@code guest}; null, or why it was refused (and nothing changed). */
  public static @Nullable String apply(GuestMachine guest, GuestOp.SetP2m op) {
    String refusal = refusal(guest, op);
    if (refusal != null) {
      return refusal;
    }
    P2m p2m = guest.p2m();
    @Mfn long old = p2m.mfn(op.gfn());
    if (op.copy() && old != op.mfn()) {
      guest.machine().copyFrame(old, op.mfn());
    }
    p2m.set(op.gfn(), op.type(), op.type().isRam() ? op.mfn() : Addr.mfn(P2m.INVALID_MFN));
    return null;
  }
}
