package org.shadowref.check.conformance;

/**
 * The entry flags the access matrix varies, as a small bit set of its own. They are named, not
 * encoded: {@link Geometry} turns them into raw entries and {@link SdmRules} reads their meaning,
 * so neither depends on the other's bit layout.
 */
public final class Flags {
  public static final int P = 1;
  public static final int RW = 1 << 1;
  public static final int US = 1 << 2;
  public static final int A = 1 << 3;
  public static final int D = 1 << 4;
  public static final int NX = 1 << 5;
  /** One reserved bit of the entry's role: see {@link Geometry#probeBit}. */
  public static final int RSVD = 1 << 6;
  /** Page size; varied on the directory entry only. */
  public static final int PS = 1 << 7;

  private static final int[] ALL = {P, RW, US, A, D, PS, NX, RSVD};
  private static final String[] NAMES = {"P", "RW", "US", "A", "D", "PS", "NX", "RSVD"};

  private Flags() {}

  public static boolean has(int flags, int flag) {
    return (flags & flag) != 0;
  }

  /** Compact names, e.g. {@code P|RW|A}, or {@code -} for none. */
  public static String describe(int flags) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < ALL.length; i++) {
      if ((flags & ALL[i]) != 0) {
        if (out.length() > 0) {
          out.append('|');
        }
        out.append(NAMES[i]);
      }
    }
    return out.length() == 0 ? "-" : out.toString();
  }
}
