package org.shadowref.memory;

import java.util.Arrays;
import java.util.Comparator;
import java.util.function.LongConsumer;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.arch.Addr;
import org.shadowref.arch.qual.Gfn;
import org.shadowref.arch.qual.Mfn;

/**
 * The physical-to-machine map: for each guest frame, its type and (for RAM) its machine frame.
 *
 * <p>Guest frames below {@link #gfnCount()} are held in arrays. A few frames above it may be
 * mapped too (at most {@link #SPARSE_LIMIT}): RAM moved to where only wide addresses reach it, above
 * 4 GiB under a PSE-36 page or just below MAXPHYADDR, so that an engine that drops or masks
 * high address bits lands on a different frame and shows. Every other frame is {@link
 * P2mType#ABSENT}.
 */
public final class P2m {
  /** The mfn reported for frames that have none. */
  public static final long INVALID_MFN = -1;
  /** Guest frames are below 2^40: 52-bit physical addresses, MAXPHYADDR's architectural limit. */
  public static final long GFN_LIMIT = 1L << 40;
  /** At most this many frames above {@link #gfnCount()} are mapped (they are searched, not indexed). */
  public static final int SPARSE_LIMIT = 64;

  private long[] mfns;
  private P2mType[] types;
  /** A mapped frame above the arrays. */
  private record Sparse(long gfn, P2mType type, long mfn) {}

  private static final Comparator<Sparse> BY_GFN = Comparator.comparingLong(Sparse::gfn);

  /** The mapped frames above the arrays, in increasing gfn order. */
  private Sparse[] sparse = new Sparse[0];
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
    this.sparse = source.sparse;
    this.shared = true;
    this.hash = source.hash;
    this.otherHash = source.otherHash;
    this.hashKnown = source.hashKnown;
  }

  /** The guest frames {@code [0, gfnCount)} held in arrays (frames above may be mapped sparsely). */
  public int gfnCount() {
    return mfns.length;
  }

  /** How many frames may be mapped: those of the arrays and the sparse ones above them. */
  public int mappableCount() {
    return mfns.length + sparse.length;
  }

  /**
   * The {@code i}-th frame that may be mapped, in increasing order: the arrays' frames, then the
   * sparse ones (so one loop visits every frame that may hold RAM).
   */
  public @Gfn long mappableGfn(int i) {
    return i < mfns.length ? Addr.gfn(i) : Addr.gfn(sparse[i - mfns.length].gfn());
  }

  public P2mType type(@Gfn long gfn) {
    if (inRange(gfn)) {
      return types[(int) gfn];
    }
    int at = sparseIndex(gfn);
    return at >= 0 ? sparse[at].type() : P2mType.ABSENT;
  }

  /** The machine frame behind {@code gfn}, or {@link #INVALID_MFN} when it has none. */
  public @Mfn long mfn(@Gfn long gfn) {
    if (inRange(gfn)) {
      return Addr.mfn(mfns[(int) gfn]);
    }
    int at = sparseIndex(gfn);
    return Addr.mfn(at >= 0 ? sparse[at].mfn() : INVALID_MFN);
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
    if (gfn < 0 || gfn >= GFN_LIMIT) {
      throw new IllegalArgumentException(
          "guest frame " + Addr.hex(gfn) + " is beyond 52-bit physical addresses");
    }
    if (type.isRam() && mfn < 0) {
      throw new IllegalArgumentException("RAM at gfn " + Addr.hex(gfn) + " needs a machine frame");
    }
    int at = inRange(gfn) ? -1 : sparseIndex(gfn);
    if (!inRange(gfn) && at < 0 && type != P2mType.ABSENT && sparse.length == SPARSE_LIMIT) {
      throw new IllegalArgumentException("guest frame " + Addr.hex(gfn) + " is outside the P2M's "
          + mfns.length + " frames, and its " + SPARSE_LIMIT + " frames above them are all mapped");
    }
    if (shared) {
      mfns = mfns.clone();
      types = types.clone();
      sparse = sparse.clone();
      shared = false;
    }
    hashKnown = false;
    long machineFrame = type.isRam() ? mfn : INVALID_MFN;
    if (inRange(gfn)) {
      types[(int) gfn] = type;
      mfns[(int) gfn] = machineFrame;
    } else if (at >= 0 && type == P2mType.ABSENT) {
      removeSparse(at);
    } else if (at >= 0) {
      sparse[at] = new Sparse(gfn, type, machineFrame);
    } else if (type != P2mType.ABSENT) {
      insertSparse(-at - 1, new Sparse(gfn, type, machineFrame));
    }
  }

  /** The position of {@code gfn} among the sparse frames, or {@code -(insertion point) - 1}. */
  private int sparseIndex(long gfn) {
    return Arrays.binarySearch(sparse, new Sparse(gfn, P2mType.ABSENT, INVALID_MFN), BY_GFN);
  }

  private void insertSparse(int at, Sparse entry) {
    Sparse[] grown = new Sparse[sparse.length + 1];
    System.arraycopy(sparse, 0, grown, 0, at);
    grown[at] = entry;
    System.arraycopy(sparse, at, grown, at + 1, sparse.length - at);
    sparse = grown;
  }

  private void removeSparse(int at) {
    Sparse[] shrunk = new Sparse[sparse.length - 1];
    System.arraycopy(sparse, 0, shrunk, 0, at);
    System.arraycopy(sparse, at + 1, shrunk, at, sparse.length - at - 1);
    sparse = shrunk;
  }

  /** The guest frame whose RAM is machine frame {@code mfn}, or -1; a linear scan. */
  public long gfnOfMfn(@Mfn long mfn) {
    for (int gfn = 0; gfn < mfns.length; gfn++) {
      if (types[gfn].isRam() && mfns[gfn] == mfn) {
        return gfn;
      }
    }
    for (Sparse entry : sparse) {
      if (entry.type().isRam() && entry.mfn() == mfn) {
        return entry.gfn();
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
    sparse = source.sparse;
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
    for (Sparse entry : sparse) {
      a = mix(a ^ entry.gfn() ^ mix(entry.mfn(), 0x9E37_79B9_7F4A_7C15L), 0x9E37_79B9_7F4A_7C15L)
          + entry.type().ordinal();
      b = mix(b + entry.type().ordinal() + entry.gfn(), 0xC2B2_AE3D_27D4_EB4FL) ^ entry.mfn();
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
    return other instanceof P2m that
        && (mfns == that.mfns || Arrays.equals(mfns, that.mfns))
        && Arrays.equals(types, that.types)
        && Arrays.equals(sparse, that.sparse);
  }

  @Override
  public int hashCode() {
    return (int) hash();
  }

  private boolean inRange(long gfn) {
    return gfn >= 0 && gfn < mfns.length;
  }
}
