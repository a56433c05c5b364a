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
