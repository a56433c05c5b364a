package org.shadowref.memory;

import java.util.Arrays;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.arch.Addr;
import org.shadowref.arch.qual.Gfn;
import org.shadowref.arch.qual.Mfn;

/**
 * The physical-to-machine map: for each guest frame, its type and (for RAM) its machine frame.
 * Guest frames at or beyond {@link #gfnCount()} are {@link P2mType#ABSENT}.
 */
public final class P2m {
  /** The mfn reported for frames that have none. */
  public static final long INVALID_MFN = -1;

  private final long[] mfns;
  private final P2mType[] types;

  public P2m(int gfnCount) {
    mfns = new long[gfnCount];
    types = new P2mType[gfnCount];
    Arrays.fill(mfns, INVALID_MFN);
    Arrays.fill(types, P2mType.ABSENT);
  }

  private P2m(long[] mfns, P2mType[] types) {
    this.mfns = mfns;
    this.types = types;
  }

  public int gfnCount() {
    return mfns.length;
  }

  public P2mType type(@Gfn long gfn) {
    return inRange(gfn) ? types[(int) gfn] : P2mType.ABSENT;
  }

  /** The machine frame behind {@code gfn}, or {@link #INVALID_MFN} when it has none. */
  public @Mfn long mfn(@Gfn long gfn) {
    return Addr.mfn(inRange(gfn) ? mfns[(int) gfn] : INVALID_MFN);
  }

  /** Maps {@code gfn} to RAM or read-only RAM at {@code mfn}. */
  public void mapRam(@Gfn long gfn, @Mfn long mfn, boolean writable) {
    set(gfn, writable ? P2mType.RAM : P2mType.RAM_RO, mfn);
  }

  public void mapMmio(@Gfn long gfn) {
    set(gfn, P2mType.MMIO, Addr.mfn(INVALID_MFN));
  }

  public void unmap(@Gfn long gfn) {
    set(gfn, P2mType.ABSENT, Addr.mfn(INVALID_MFN));
  }

  public void set(@Gfn long gfn, P2mType type, @Mfn long mfn) {
    if (!inRange(gfn)) {
      throw new IllegalArgumentException(
          "guest frame " + Addr.hex(gfn) + " is outside the P2M of " + mfns.length + " frames");
    }
    if (type.isRam() && mfn < 0) {
      throw new IllegalArgumentException("RAM at gfn " + Addr.hex(gfn) + " needs a machine frame");
    }
    types[(int) gfn] = type;
    mfns[(int) gfn] = type.isRam() ? mfn : INVALID_MFN;
  }

  /** The guest frame whose RAM is machine frame {@code mfn}, or -1; a linear scan. */
  public long gfnOfMfn(@Mfn long mfn) {
    for (int gfn = 0; gfn < mfns.length; gfn++) {
      if (types[gfn].isRam() && mfns[gfn] == mfn) {
        return gfn;
      }
    }
    return -1;
  }

  public P2m copy() {
    return new P2m(mfns.clone(), types.clone());
  }

  public long hash() {
    return 31L * Arrays.hashCode(mfns) + Arrays.hashCode(types);
  }

  @Override
  public boolean equals(@Nullable Object other) {
    return other instanceof P2m
        && Arrays.equals(mfns, ((P2m) other).mfns)
        && Arrays.equals(types, ((P2m) other).types);
  }

  @Override
  public int hashCode() {
    return (int) hash();
  }

  private boolean inRange(long gfn) {
    return gfn >= 0 && gfn < mfns.length;
  }
}
