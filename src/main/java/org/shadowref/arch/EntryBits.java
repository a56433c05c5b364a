package org.shadowref.arch;

/**
 * Bit positions shared by page-table entries at every level (Intel SDM vol. 3, tables 4-4 to
 * 4-20). Entries are handled as {@code long}s in every mode; a 32-bit entry simply has zero upper
 * half.
 */
public final class EntryBits {
  public static final long P = 1L << 0;
  public static final long RW = 1L << 1;
  public static final long US = 1L << 2;
  public static final long PWT = 1L << 3;
  public static final long PCD = 1L << 4;
  public static final long A = 1L << 5;
  public static final long D = 1L << 6;
  /** Page size in directory entries; PAT in 4 KiB leaf entries. */
  public static final long PS = 1L << 7;
  public static final long PAT_4K = 1L << 7;
  public static final long G = 1L << 8;
  /** PAT in large-page leaf entries. */
  public static final long PAT_LARGE = 1L << 12;
  /** Execute-disable; only in 64-bit entries, only with EFER.NXE. */
  public static final long NX = 1L << 63;

  /** Bits 51:12, the widest frame-address field of any 64-bit entry. */
  public static final long ADDR_MASK_64 = 0x000F_FFFF_FFFF_F000L;
  /** Bits 31:12, the frame-address field of a 32-bit entry. */
  public static final long ADDR_MASK_32 = 0xFFFF_F000L;

  private EntryBits() {}

  /** Bits {@code high..low} inclusive set, others clear. Empty when {@code high < low}. */
  public static long bits(int high, int low) {
    if (high < low) {
      return 0;
    }
    long width = high - low + 1;
    long ones = width >= 64 ? -1L : (1L << width) - 1;
    return ones << low;
  }

  /** Compact flag names, e.g. {@code P|RW|US|A}, for tables and traces. */
  public static String describe(long entry) {
    StringBuilder out = new StringBuilder();
    append(out, entry, P, "P");
    append(out, entry, RW, "RW");
    append(out, entry, US, "US");
    append(out, entry, PWT, "PWT");
    append(out, entry, PCD, "PCD");
    append(out, entry, A, "A");
    append(out, entry, D, "D");
    append(out, entry, PS, "PS");
    append(out, entry, G, "G");
    append(out, entry, NX, "NX");
    return out.length() == 0 ? "-" : out.toString();
  }

  private static void append(StringBuilder out, long entry, long bit, String name) {
    if ((entry & bit) != 0) {
      if (out.length() > 0) {
        out.append('|');
      }
      out.append(name);
    }
  }
}
