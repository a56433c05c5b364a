package org.shadowref.mmu;

import org.shadowref.arch.Addr;
import org.shadowref.arch.PfErrorCode;

/**
 * What the guest can observe of one access: it reached machine memory at an address, it raised
 * a #PF with an error code and CR2, or it left to the device model (MMIO, or a write to read-only
 * RAM), or it hit a guest frame with nothing behind it.
 *
 * @param address the machine address ({@link Kind#OK}), the faulting linear address (CR2, for
 *     {@link Kind#GUEST_FAULT}) or the guest-physical address (the exits)
 * @param errorCode the #PF error code for {@link Kind#GUEST_FAULT}, else 0
 */
public record AccessOutcome(Kind kind, long address, int errorCode) {
  public enum Kind {
    OK,
    GUEST_FAULT,
    MMIO,
    UNMAPPED_GFN
  }

  public static AccessOutcome ok(long maddr) {
    return new AccessOutcome(Kind.OK, maddr, 0);
  }

  public static AccessOutcome guestFault(int errorCode, long cr2) {
    return new AccessOutcome(Kind.GUEST_FAULT, cr2, errorCode);
  }

  public static AccessOutcome mmio(long gpa) {
    return new AccessOutcome(Kind.MMIO, gpa, 0);
  }

  public static AccessOutcome unmapped(long gpa) {
    return new AccessOutcome(Kind.UNMAPPED_GFN, gpa, 0);
  }

  public boolean isOk() {
    return kind == Kind.OK;
  }

  @Override
  public String toString() {
    switch (kind) {
      case OK:
        return "ok maddr=" + Addr.hex(address);
      case GUEST_FAULT:
        return "#PF ec=" + PfErrorCode.describe(errorCode) + " cr2=" + Addr.hex(address);
      case MMIO:
        return "mmio gpa=" + Addr.hex(address);
      default:
        return "unmapped gpa=" + Addr.hex(address);
    }
  }
}
