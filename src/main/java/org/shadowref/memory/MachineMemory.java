package org.shadowref.memory;

import java.util.Arrays;
import java.util.function.LongConsumer;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.arch.Addr;
import org.shadowref.arch.qual.Maddr;
import org.shadowref.arch.qual.Mfn;

/**
 * Machine memory: a fixed number of 4 KiB frames, little-endian, addressed by machine address.
 * Guest RAM and shadow tables both live here; which frame is which is decided by the P2M and the
 * engines. Frames are stored as 512 {@code long} words, so 8-byte aligned entry accesses (the
 * common case) touch one array element.
 *
 * <p>Model checkers copy and hash whole machines millions of times, so copies share frames until
 * one side writes (copy-on-write, per frame), and each frame's hash is kept up to date by every
 * write: it is the sum over the frame's non-zero words of a mix of the word and its position, so
 * a write changes it by the difference of two terms. A second sum, of an independent mix, makes
 * the 128-bit {@link #frameDigest} a model checker's state fingerprint relies on. Neither is
 * visible through the methods: a copy behaves as a deep copy, and hash and digest are functions
 * of the frame's contents.
 */
public final class MachineMemory {
  private static final int WORDS_PER_FRAME = (int) (Addr.PAGE_SIZE / 8);
  /** The words of every zero frame: shared, so never written (a write clones it first). */
  private static final long[] ZERO_FRAME = new long[WORDS_PER_FRAME];

  private final long[][] frames;
  /**
   * Per frame: the array belongs to this memory alone. Otherwise it may also belong to another
   * memory (or be {@link #ZERO_FRAME}), so it is cloned before a write. False is the default, so
   * a new copy needs no filling.
   */
  private final boolean[] owned;
  /** Per frame: the sum of {@link #term} over its words (0 for a zero frame). */
  private final long[] hashes;
  /** Per frame: the sum of {@link #otherTerm} over its words, the digest's second half. */
  private final long[] otherHashes;
  /** Whether every write keeps {@link #hashes} and {@link #otherHashes} up to date (see {@link #stopKeepingDigests}). */
  private boolean digestsKept = true;
  /**
   * Per frame this memory owns (null for the others): the array its words were last made equal
   * to, by {@link #restoreFrom} or by cloning it before a write, one that no memory writes in
   * place any more, as long as every write since is in {@link #writtenWords}. A restore from a
   * memory still holding that array puts back the words written instead of copying the frame.
   */
  private final long[] @Nullable [] restoredFrom;
  /** Words written since the last restore, as {@code frame * WORDS_PER_FRAME + word}. */
  private final int[] writtenWords = new int[64];
  private int writtenCount;

  public MachineMemory(int frameCount) {
    if (frameCount <= 0) {
      throw new IllegalArgumentException("machine memory needs at least one frame");
    }
    frames = new long[frameCount][];
    Arrays.fill(frames, ZERO_FRAME);
    owned = new boolean[frameCount];
    hashes = new long[frameCount];
    otherHashes = new long[frameCount];
    restoredFrom = new long[frameCount][];
  }

  private MachineMemory(long[][] frames, long[] hashes, long[] otherHashes) {
    this.frames = frames;
    this.owned = new boolean[frames.length];
    this.hashes = hashes;
    this.otherHashes = otherHashes;
    this.restoredFrom = new long[frames.length][];
  }

  public int frameCount() {
    return frames.length;
  }

  public boolean contains(@Mfn long mfn) {
    return mfn >= 0 && mfn < frames.length;
  }

  /** Reads {@code size} (1, 2, 4 or 8) bytes, zero-extended; may span 8-byte words of a frame. */
  public long read(@Maddr long address, int size) {
    checkAccess(address, size);
    long[] frame = frames[(int) (address >>> Addr.PAGE_SHIFT)];
    int offset = (int) Addr.pageOffset(address);
    int word = offset >>> 3;
    int shift = (offset & 7) * 8;
    if (size == 8 && shift == 0) {
      return frame[word];
    }
    long value = frame[word] >>> shift;
    int bitsFromFirst = 64 - shift;
    if (bitsFromFirst < size * 8) {
      value |= frame[word + 1] << bitsFromFirst;
    }
    return size == 8 ? value : value & ((1L << (size * 8)) - 1);
  }

  /** Writes the low {@code size} bytes of {@code value}; may span 8-byte words of a frame. */
  public void write(@Maddr long address, int size, long value) {
    checkAccess(address, size);
    int index = (int) (address >>> Addr.PAGE_SHIFT);
    long[] frame = writable(index);
    int offset = (int) Addr.pageOffset(address);
    int word = offset >>> 3;
    int shift = (offset & 7) * 8;
    if (size == 8 && shift == 0) {
      store(index, frame, word, value);
      return;
    }
    long sizeMask = size == 8 ? -1L : (1L << (size * 8)) - 1;
    long data = value & sizeMask;
    store(index, frame, word, (frame[word] & ~(sizeMask << shift)) | (data << shift));
    int bitsFromFirst = 64 - shift;
    if (bitsFromFirst < size * 8) {
      long highMask = sizeMask >>> bitsFromFirst;
      store(index, frame, word + 1, (frame[word + 1] & ~highMask) | (data >>> bitsFromFirst));
    }
  }

  /** Sets one word of frame {@code index} (already writable) and updates the frame's hash. */
  private void store(int index, long[] frame, int word, long value) {
    if (digestsKept) {
      hashes[index] += term(word, value) - term(word, frame[word]);
      otherHashes[index] += otherTerm(word, value) - otherTerm(word, frame[word]);
    }
    frame[word] = value;
    if (restoredFrom[index] != null) {
      if (writtenCount < writtenWords.length) {
        writtenWords[writtenCount++] = index * WORDS_PER_FRAME + word;
      } else {
        restoredFrom[index] = null; // too many to list: the next restore copies the frame
      }
    }
  }

  /**
   * Stops keeping each frame's hash and digest up to date on every write: {@link #frameHash} and
   * {@link #frameDigest} then work them out from the frame's words when asked, giving the same
   * values. For benchmarks, on a fresh copy outside the timed region (as {@link #unshare}): the
   * digests are a model checker's bookkeeping, not the engines' work, and keeping them makes every
   * store read the word it replaces and mix both words twice. Copies inherit the setting.
   */
  public void stopKeepingDigests() {
    digestsKept = false;
  }

  /** A word's share of its frame's hash: 0 for a zero word, else a mix of word and position. */
  private static long term(int position, long word) {
    if (word == 0) {
      return 0;
    }
    long h = word + (position + 1) * 0x9E37_79B9_7F4A_7C15L;
    h = (h ^ (h >>> 30)) * 0xBF58_476D_1CE4_E5B9L;
    h = (h ^ (h >>> 27)) * 0x94D0_49BB_1331_11EBL;
    return h ^ (h >>> 31);
  }

  /** {@link #term} with other constants and another mixer (Stafford's variant 4, not 13). */
  private static long otherTerm(int position, long word) {
    if (word == 0) {
      return 0;
    }
    long h = word * 0xD6E8_FEB8_6659_FD93L + (position + 1) * 0xC2B2_AE3D_27D4_EB4FL;
    h = (h ^ (h >>> 33)) * 0x62A9_D9ED_7997_05F5L;
    h = (h ^ (h >>> 28)) * 0xCB24_D0A5_C88C_35B3L;
    return h ^ (h >>> 32);
  }

  public void zeroFrame(@Mfn long mfn) {
    checkFrame(mfn);
    int index = (int) mfn;
    if (!owned[index]) {
      frames[index] = ZERO_FRAME;
    } else {
      // Clear in place: an engine that recycles a shadow frame must not allocate a new one.
      Arrays.fill(frames[index], 0);
      restoredFrom[index] = ZERO_FRAME;
    }
    hashes[index] = 0;
    otherHashes[index] = 0;
  }

  public void copyFrame(@Mfn long from, @Mfn long to) {
    checkFrame(from);
    checkFrame(to);
    System.arraycopy(frames[(int) from], 0, writable((int) to), 0, WORDS_PER_FRAME);
    restoredFrom[(int) to] = null;
    hashes[(int) to] = hashes[(int) from];
    otherHashes[(int) to] = otherHashes[(int) from];
  }

  public boolean frameEquals(@Mfn long mfn, MachineMemory other, @Mfn long otherMfn) {
    checkFrame(mfn);
    other.checkFrame(otherMfn);
    long[] mine = frames[(int) mfn];
    long[] theirs = other.frames[(int) otherMfn];
    return mine == theirs || Arrays.equals(mine, theirs);
  }

  /** A content hash of one frame, for state fingerprints; kept up to date by every write. */
  public long frameHash(@Mfn long mfn) {
    checkFrame(mfn);
    if (!digestsKept) {
      long sum = 0;
      long[] frame = frames[(int) mfn];
      for (int word = 0; word < frame.length; word++) {
        sum += term(word, frame[word]);
      }
      return sum;
    }
    return hashes[(int) mfn];
  }

  /**
   * Feeds a 128-bit content digest of one frame to {@code into}: {@link #frameHash} and a second
   * sum of an independently mixed term per word, so that two frames with different contents
   * feed the same two words only by a 128-bit coincidence. Kept up to date by every write.
   */
  public void frameDigest(@Mfn long mfn, LongConsumer into) {
    checkFrame(mfn);
    if (!digestsKept) {
      long other = 0;
      long[] frame = frames[(int) mfn];
      for (int word = 0; word < frame.length; word++) {
        other += otherTerm(word, frame[word]);
      }
      into.accept(frameHash(mfn));
      into.accept(other);
      return;
    }
    into.accept(hashes[(int) mfn]);
    into.accept(otherHashes[(int) mfn]);
  }

  /** Copies frame {@code mfn}'s 512 words into the caller's {@code into}, which the memory keeps no hold of. */
  public void copyFrameWords(@Mfn long mfn, long[] into) {
    checkFrame(mfn);
    System.arraycopy(frames[(int) mfn], 0, into, 0, WORDS_PER_FRAME);
  }

  /**
   * The index of the first 8-byte word of frame {@code mfn}, at or after {@code fromWord}, whose
   * bits under {@code mask} equal {@code value}; -1 when there is none. For scans of a table for
   * entries with given bits (present entries mapping a frame) without a checked read per entry.
   */
  public int nextWordMatching(@Mfn long mfn, int fromWord, long mask, long value) {
    checkFrame(mfn);
    long[] frame = frames[(int) mfn];
    for (int word = Math.max(fromWord, 0); word < frame.length; word++) {
      if ((frame[word] & mask) == value) {
        return word;
      }
    }
    return -1;
  }

  /**
   * The index of the first non-zero 8-byte word of frame {@code mfn} at or after {@code fromWord},
   * or -1: for visiting only the entries of a table that are set.
   */
  public int nextNonZeroWord(@Mfn long mfn, int fromWord) {
    checkFrame(mfn);
    long[] frame = frames[(int) mfn];
    for (int word = Math.max(fromWord, 0); word < frame.length; word++) {
      if (frame[word] != 0) {
        return word;
      }
    }
    return -1;
  }

  public boolean isZeroFrame(@Mfn long mfn) {
    checkFrame(mfn);
    for (long word : frames[(int) mfn]) {
      if (word != 0) {
        return false;
      }
    }
    return true;
  }

  /** A copy that behaves as a deep one: frames are shared until either side writes them. */
  public MachineMemory copy() {
    Arrays.fill(owned, false);
    Arrays.fill(restoredFrom, null);
    MachineMemory copy = new MachineMemory(frames.clone(), hashes.clone(), otherHashes.clone());
    copy.digestsKept = digestsKept;
    return copy;
  }

  /**
   * Gives every frame an array of its own, as an eager deep copy would, so no later write clones
   * a frame. Benchmarks call it on a fresh copy, outside the timed region: what they time is the
   * engine, not the copy-on-write bookkeeping of the simulation.
   */
  public void unshare() {
    for (int i = 0; i < frames.length; i++) {
      writable(i);
    }
  }

  /**
   * Makes every frame of this memory equal to {@code source}'s (of the same size). A model
   * checker overwrites a discarded copy so for every transition, and the next step writes much
   * the same frames and words as the last, so: a frame this memory owns keeps its array, which
   * gets the source's words (only the words written since the last restore, when it was made
   * equal to the array the source still holds); the other frames are shared. Either way the
   * source's array is never written in place again (the source clones it first).
   */
  public void restoreFrom(MachineMemory source) {
    if (source.frames.length != frames.length) {
      throw new IllegalArgumentException("memories differ in size");
    }
    if (source == this) {
      return;
    }
    for (int k = 0; k < writtenCount; k++) {
      int i = writtenWords[k] / WORDS_PER_FRAME;
      int word = writtenWords[k] % WORDS_PER_FRAME;
      long[] from = restoredFrom[i];
      if (from != null && from == source.frames[i]) {
        frames[i][word] = from[word];
      }
    }
    writtenCount = 0;
    // Most frames are shared with the source already: storing a reference costs a GC barrier, so
    // only changed ones are stored.
    for (int i = 0; i < frames.length; i++) {
      long[] theirs = source.frames[i];
      if (!owned[i]) {
        if (frames[i] != theirs) {
          frames[i] = theirs;
        }
      } else if (restoredFrom[i] != theirs) {
        System.arraycopy(theirs, 0, frames[i], 0, WORDS_PER_FRAME);
        restoredFrom[i] = theirs;
      }
      source.owned[i] = false;
      if (source.restoredFrom[i] != null) {
        source.restoredFrom[i] = null;
      }
    }
    System.arraycopy(source.hashes, 0, hashes, 0, frames.length);
    System.arraycopy(source.otherHashes, 0, otherHashes, 0, frames.length);
    digestsKept = source.digestsKept;
  }

  /** Frame {@code i}'s words, owned by this memory alone, about to change. */
  private long[] writable(int i) {
    if (!owned[i]) {
      // A frame this memory does not own is owned by none, so never written in place: the
      // clone stays equal to it but for the writes listed from now on.
      long[] shared = frames[i];
      frames[i] = shared.clone();
      owned[i] = true;
      restoredFrom[i] = shared;
    }
    return frames[i];
  }

  private void checkFrame(@Mfn long mfn) {
    if (!contains(mfn)) {
      throw new IllegalArgumentException(
          "machine frame " + Addr.hex(mfn) + " is outside memory of " + frames.length + " frames");
    }
  }

  private void checkAccess(@Maddr long address, int size) {
    if (size != 1 && size != 2 && size != 4 && size != 8) {
      throw new IllegalArgumentException("access size must be 1, 2, 4 or 8, got " + size);
    }
    checkFrame(Addr.mfnOf(address));
    if (Addr.pageOffset(address) + size > Addr.PAGE_SIZE) {
      throw new IllegalArgumentException(
          "machine access at " + Addr.hex(address) + " of " + size + " bytes crosses a frame");
    }
  }
}
