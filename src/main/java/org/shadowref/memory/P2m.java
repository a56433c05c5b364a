package org.shadowref.memory;

import java.util.Arrays;
import java.util.function.LongConsumer;
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

  private long[] mfns;
  private P2mType[] types;
  /**
   * Whether the arrays may also belong to a copy: models copy the P2M with every state and
   * rarely change it, so copies share the arrays until one side writes (then it clones them).
   */
  private boolean shared;
  /**
   * The two halves of the digest {@link #fingerprint} feeds ({@link #hash()} is the first),
   * remembered until the next change: models hash the P2M with every state and rarely change it.
   */
  private long hash;
  private long otherHash;
  private boolean hashKnown;

  public P2m(int gfnCount) {
    mfns = new long[gfnCount];
    types = new P2mType[gfnCount];
    Arrays.fill(mfns, INVALID_MFN);
    Arrays.fill(types, P2mType.ABSENT);
  }

  private P2m(P2m source) {
    this.mfns = source.mfns;
    this.types = source.types;
    this.shared = true;
    this.hash = source.hash;
    this.otherHash = source.otherHash;
    this.hashKnown = source.hashKnown;
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
    if (shared) {
      mfns = mfns.clone();
      types = types.clone();
      shared = false;
    }
    hashKnown = false;
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

  /** A copy that behaves as a deep one: the arrays are shared until either side changes. */
  public P2m copy() {
    shared = true;
    return new P2m(this);
  }

  /** Makes this P2M equal to {@code source}, sharing its arrays as {@link #copy()} does. */
  public void restoreFrom(P2m source) {
    source.shared = true;
    mfns = source.mfns;
    types = source.types;
    shared = true;
    hash = source.hash;
    otherHash = source.otherHash;
    hashKnown = source.hashKnown;
  }

  /** A hash of every entry (types by ordinal, so it does not depend on the JVM run). */
  public long hash() {
    knowHashes();
    return hash;
  }

  /**
   * Feeds a 128-bit digest of every entry to {@code into}: two hashes of the frame count and each
   * frame's machine frame and type, over differently mixed streams, so that two P2Ms that differ
   * anywhere feed the same two words only by a 128-bit coincidence.
   */
  public void fingerprint(LongConsumer into) {
    knowHashes();
    into.accept(hash);
    into.accept(otherHash);
  }

  private void knowHashes() {
    if (hashKnown) {
      return;
    }
    long a = mix(mfns.length, 0x9E37_79B9_7F4A_7C15L);
    long b = mix(mfns.length, 0xC2B2_AE3D_27D4_EB4FL);
    for (int gfn = 0; gfn < mfns.length; gfn++) {
      a = mix(a ^ mfns[gfn], 0x9E37_79B9_7F4A_7C15L) + types[gfn].ordinal();
      b = mix(b + types[gfn].ordinal(), 0xC2B2_AE3D_27D4_EB4FL) ^ mfns[gfn];
    }
    hash = mix(a, 0xBF58_476D_1CE4_E5B9L);
    otherHash = mix(b, 0x94D0_49BB_1331_11EBL);
    hashKnown = true;
  }

  /** Multiplies by an odd constant and folds the high half down: a bijection that mixes all bits. */
  private static long mix(long h, long odd) {
    long m = h * odd;
    return m ^ (m >>> 31) ^ (m >>> 47);
  }

  @Override
  public boolean equals(@Nullable Object other) {
    return other instanceof P2m
        && (mfns == ((P2m) other).mfns || Arrays.equals(mfns, ((P2m) other).mfns))
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
