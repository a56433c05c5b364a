package org.shadowref.arch;

/** The page-fault error code pushed by #PF (Intel SDM vol. 3, 4.7). */
public final class PfErrorCode {
  /** 0: the translation was not present; 1: a protection or reserved-bit violation. */
  public static final int P = 1 << 0;
  /** The access was a write. */
  public static final int W = 1 << 1;
  /** The access was a user-mode access. */
  public static final int U = 1 << 2;
  /** A reserved bit was set in some paging-structure entry. */
  public static final int RSVD = 1 << 3;
  /** The access was an instruction fetch (reported only with NX or SMEP enabled). */
  public static final int ID = 1 << 4;

  private PfErrorCode() {}

  /**
   * Whether the CPU reports instruction fetches in I/D: only with SMEP, or with execute-disable
   * in PAE and 4-level paging. Elsewhere a fetch fault reads as a read fault.
   */
  public static boolean reportsFetches(ControlRegisters regs) {
    return regs.smep() || (regs.nxe() && regs.pagingMode() != PagingMode.TWO_LEVEL);
  }

  /**
   * The access a #PF with {@code errorCode} was raised for, under the registers {@code regs} the
   * faulting walk ran with. Where the CPU does not report fetches, a handler tells a fetch from a
   * read by decoding the instruction at RIP, as Xen does: {@code fetchAtRip} is that answer (a
   * fetch and a read differ under SMAP).
   */
  public static Access access(int errorCode, ControlRegisters regs, boolean fetchAtRip) {
    AccessKind kind = AccessKind.READ;
    if ((errorCode & W) != 0) {
      kind = AccessKind.WRITE;
    } else if ((errorCode & ID) != 0 || (fetchAtRip && !reportsFetches(regs))) {
      kind = AccessKind.FETCH;
    }
    return Access.of(kind, (errorCode & U) != 0);
  }

  public static String describe(int errorCode) {
    StringBuilder out = new StringBuilder();
    out.append((errorCode & P) != 0 ? "P" : "NP");
    if ((errorCode & W) != 0) {
      out.append("|W");
    }
    if ((errorCode & U) != 0) {
      out.append("|U");
    }
    if ((errorCode & RSVD) != 0) {
      out.append("|RSVD");
    }
    if ((errorCode & ID) != 0) {
      out.append("|ID");
    }
    return out.toString();
  }
}
