package org.shadowref.shadow;

import org.shadowref.arch.Addr;
import org.shadowref.arch.PfErrorCode;
import org.shadowref.mmu.AccessOutcome;

/**
 * What the guest observes of one operation. Two implementations agree on an operation exactly
 * when their results are {@code equals}.
 *
 * @param address the machine address reached (OK accesses; 0 for operations without one), CR2
 *     for a guest fault, the guest-physical address for an exit
 * @param errorCode the #PF error code for a guest fault
 * @param value the data a load or fetch returned
 * @param detail why an operation was {@link Status#INVALID} (e.g. an undefined opcode)
 */
public record OpResult(Status status, long address, int errorCode, long value, String detail) {
  /** How an operation ended, as the guest sees it. */
  public enum Status {
    /** It completed (an access reached RAM; a control operation took effect). */
    OK,
    /** A #PF was delivered to the guest, with {@code errorCode} and CR2 = {@code address}. */
    GUEST_FAULT,
    /** An access reached a device page: the hypervisor's device model answers it. */
    MMIO,
    /** An access reached a guest-physical frame the P2M maps to nothing. */
    UNMAPPED_GFN,
    /** The operation itself is not valid (an instruction the CPU would #UD or #GP on). */
    INVALID
  }

  /** The result of an operation that completed with nothing to report (a CR3 load, INVLPG, ...). */
  public static final OpResult DONE = new OpResult(Status.OK, 0, 0, 0, "");

  /** What the guest observes of an access that ended in {@code outcome} and, if it loaded, read {@code value}. */
  public static OpResult of(AccessOutcome outcome, long value) {
    switch (outcome.kind()) {
      case OK:
        return new OpResult(Status.OK, outcome.address(), 0, value, "");
      case GUEST_FAULT:
        return new OpResult(Status.GUEST_FAULT, outcome.address(), outcome.errorCode(), 0, "");
      case MMIO:
        return new OpResult(Status.MMIO, outcome.address(), 0, 0, "");
      default:
        return new OpResult(Status.UNMAPPED_GFN, outcome.address(), 0, 0, "");
    }
  }

  /** An operation the CPU would refuse (#UD, #GP), for the reason {@code detail}. */
  public static OpResult invalid(String detail) {
    return new OpResult(Status.INVALID, 0, 0, 0, detail);
  }

  /**
   * A 64-bit summary of everything the guest observes here but the detail text: what {@link
   * Platform#perform} returns, so that a timing loop keeps every result observable (and the JIT
   * cannot drop a load whose value nobody reads) without building the record.
   */
  public long digest() {
    return digest(status, address, errorCode, value);
  }

  /** {@link #digest()} of the result these fields would make, computed without making it. */
  public static long digest(Status status, long address, int errorCode, long value) {
    long h = status.ordinal() * 0x9E37_79B9_7F4A_7C15L + address;
    h = (h ^ (h >>> 29)) * 0xBF58_476D_1CE4_E5B9L + errorCode;
    h = (h ^ (h >>> 32)) * 0x94D0_49BB_1331_11EBL + value;
    return h ^ (h >>> 29);
  }

  @Override
  public String toString() {
    switch (status) {
      case OK:
        return address == 0 && value == 0 ? "ok" : "ok maddr=" + Addr.hex(address) + " value=" + Addr.hex(value);
      case GUEST_FAULT:
        return "#PF ec=" + PfErrorCode.describe(errorCode) + " cr2=" + Addr.hex(address);
      case MMIO:
        return "mmio gpa=" + Addr.hex(address);
      case UNMAPPED_GFN:
        return "unmapped gpa=" + Addr.hex(address);
      default:
        return "invalid: " + detail;
    }
  }
}
