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
 * engines. Frames are stored as {@code long} words, so 8-byte aligned entry accesses (the common
 * case) touch one array element.
 *
 * <p>Model checkers copy and hash whole machines millions of times, so copies share memory until
 * one side writes (copy-on-write, per 512-byte chunk of a frame: a step writes a few entries of a
 * few tables, and cloning whole frames for them made most of a model's memory traffic), and each
 * frame's hash is kept up to date by every write: it is the sum over the frame's non-zero words
 * of a mix of the word and its position, so a write changes it by the difference of two terms. A
 * second sum, of an independent mix, makes the 128-bit {@link #frameDigest} a model checker's
 * state fingerprint relies on. Neither is visible through the methods: a copy behaves as a deep
 * copy, and hash and digest are functions of the frame's contents.
 */
public final class MachineMemory {
  private static final int WORDS_PER_FRAME = (int) (Addr.PAGE_SIZE / 8);
  private static final int FRAME_WORD_SHIFT = Integer.numberOfTrailingZeros(WORDS_PER_FRAME);
  /** A chunk is 64 words: the unit that copies share and a write clones. */
  private static final int CHUNK_SHIFT = 6;
  private static final int WORDS_PER_CHUNK = 1 << CHUNK_SHIFT;
  private static final int WORD_IN_CHUNK = WORDS_PER_CHUNK - 1;
  private static final int CHUNKS_PER_FRAME = WORDS_PER_FRAME / WORDS_PER_CHUNK;
  /** The words of every zero chunk: shared, so never written (a write clones it first). */
  private static final long[] ZERO_CHUNK = new long[WORDS_PER_CHUNK];

  private final int frameCount;
  /**
   * Chunk {@code c} holds words {@code c * 64 ..} of the memory: frame {@code f}'s chunks are
   * {@code f * 8 .. f * 8 + 7}, so a word's global index {@code f * 512 + word} shifted right by
   * six is its chunk.
   */
  private final long[][] chunks;
  /**
   * Per chunk: the array belongs to this memory alone. Otherwise it may also belong to another
   * memory (or be {@link #ZERO_CHUNK}), so it is cloned before a write. False is the default, so
   * a new copy needs no filling.
   */
  private final boolean[] owned;
  /** The chunks {@link #owned} marks, in the order they were cloned, so a restore visits only them. */
  private int[] ownedChunks = new int[16];
  private int ownedCount;
  /** A restore's scratch: the owned chunks' arrays while the source's are copied over them. */
  private long[] @Nullable [] ownArrays = new long[16][];
  /** Per frame: the sum of {@link #term} over its words (0 for a zero frame). */
  private final long[] hashes;
  /** Per frame: the sum of {@link #otherTerm} over its words, the digest's second half. */
  private final long[] otherHashes;
  /** Whether every write keeps {@link #hashes} and {@link #otherHashes} up to date (see {@link #stopKeepingDigests}). */
  private boolean digestsKept = true;
  /**
   * Per chunk this memory owns (null for the others): the array its words were last made equal
   * to, by {@link #restoreFrom} or by cloning it before a write, one that no memory writes in
   * place any more, as long as every write since is in {@link #writtenWords}. A restore from a
   * memory still holding that array puts back the words written instead of copying the chunk.
   */
  private final long[] @Nullable [] restoredFrom;
  /** Words written since the last restore, by global index ({@code frame * 512 + word}). */
  private final int[] writtenWords = new int[64];
  private int writtenCount;

  public MachineMemory(int frameCount) {
    if (frameCount <= 0) {
      throw new IllegalArgumentException("machine memory needs at least one frame");
    }
    if (frameCount > Integer.MAX_VALUE / WORDS_PER_FRAME) {
      throw new IllegalArgumentException("machine memory of " + frameCount + " frames is too large");
    }
    this.frameCount = frameCount;
    chunks = new long[frameCount * CHUNKS_PER_FRAME][];
    Arrays.fill(chunks, ZERO_CHUNK);
    owned = new boolean[chunks.length];
    hashes = new long[frameCount];
    otherHashes = new long[frameCount];
    restoredFrom = new long[chunks.length][];
  }

  private MachineMemory(long[][] chunks, long[] hashes, long[] otherHashes) {
    this.frameCount = hashes.length;
    this.chunks = chunks;
    this.owned = new boolean[chunks.length];
    this.hashes = hashes;
    this.otherHashes = otherHashes;
    this.restoredFrom = new long[chunks.length][];
  }

  public int frameCount() {
    return frameCount;
  }

  public boolean contains(@Mfn long mfn) {
    return mfn >= 0 && mfn < frameCount;
  }

  /** Reads {@code size} (1, 2, 4 or 8) bytes, zero-extended; may span 8-byte words of a frame. */
  public long read(@Maddr long address, int size) {
    checkAccess(address, size);
    int global = (int) (address >>> 3);
    int shift = (int) (address & 7) * 8;
    if (size == 8 && shift == 0) {
      return chunks[global >>> CHUNK_SHIFT][global & WORD_IN_CHUNK];
    }
    long value = word(global) >>> shift;
    int bitsFromFirst = 64 - shift;
    if (bitsFromFirst < size * 8) {
      value |= word(global + 1) << bitsFromFirst;
    }
    return size == 8 ? value : value & ((1L << (size * 8)) - 1);
  }

  /** Writes the low {@code size} bytes of {@code value}; may span 8-byte words of a frame. */
  public void write(@Maddr long address, int size, long value) {
    checkAccess(address, size);
    int global = (int) (address >>> 3);
    int shift = (int) (address & 7) * 8;
    if (size == 8 && shift == 0) {
      store(global, value);
      return;
    }
    long sizeMask = size == 8 ? -1L : (1L << (size * 8)) - 1;
    long data = value & sizeMask;
    store(global, (word(global) & ~(sizeMask << shift)) | (data << shift));
    int bitsFromFirst = 64 - shift;
    if (bitsFromFirst < size * 8) {
      long highMask = sizeMask >>> bitsFromFirst;
      store(global + 1, (word(global + 1) & ~highMask) | (data >>> bitsFromFirst));
    }
  }

  /** The word at global index {@code global} ({@code frame * 512 + word}). */
  private long word(int global) {
    return chunks[global >>> CHUNK_SHIFT][global & WORD_IN_CHUNK];
  }

  /** Sets the word at global index {@code global} and updates its frame's hash. */
  private void store(int global, long value) {
    int chunk = global >>> CHUNK_SHIFT;
    long[] words = writable(chunk);
    int word = global & WORD_IN_CHUNK;
    if (digestsKept) {
      int frame = global >>> FRAME_WORD_SHIFT;
      int position = global & (WORDS_PER_FRAME - 1);
      hashes[frame] += term(position, value) - term(position, words[word]);
      otherHashes[frame] += otherTerm(position, value) - otherTerm(position, words[word]);
    }
    words[word] = value;
    if (restoredFrom[chunk] != null) {
      if (writtenCount < writtenWords.length) {
        writtenWords[writtenCount++] = global;
      } else {
        restoredFrom[chunk] = null; // too many to list: the next restore copies the chunk
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
    int first = (int) mfn * CHUNKS_PER_FRAME;
    for (int chunk = first; chunk < first + CHUNKS_PER_FRAME; chunk++) {
      if (!owned[chunk]) {
        chunks[chunk] = ZERO_CHUNK;
      } else {
        // Clear in place: an engine that recycles a shadow frame must not allocate a new one.
        Arrays.fill(chunks[chunk], 0);
        restoredFrom[chunk] = ZERO_CHUNK;
      }
    }
    hashes[(int) mfn] = 0;
    otherHashes[(int) mfn] = 0;
  }

  public void copyFrame(@Mfn long from, @Mfn long to) {
    checkFrame(from);
    checkFrame(to);
    int source = (int) from * CHUNKS_PER_FRAME;
    int target = (int) to * CHUNKS_PER_FRAME;
    for (int k = 0; k < CHUNKS_PER_FRAME; k++) {
      System.arraycopy(chunks[source + k], 0, writable(target + k), 0, WORDS_PER_CHUNK);
      restoredFrom[target + k] = null;
    }
    hashes[(int) to] = hashes[(int) from];
    otherHashes[(int) to] = otherHashes[(int) from];
  }

  public boolean frameEquals(@Mfn long mfn, MachineMemory other, @Mfn long otherMfn) {
    checkFrame(mfn);
    other.checkFrame(otherMfn);
    int mine = (int) mfn * CHUNKS_PER_FRAME;
    int theirs = (int) otherMfn * CHUNKS_PER_FRAME;
    for (int k = 0; k < CHUNKS_PER_FRAME; k++) {
      long[] a = chunks[mine + k];
      long[] b = other.chunks[theirs + k];
      if (a != b && !Arrays.equals(a, b)) {
        return false;
      }
    }
    return true;
  }

  /**
   * Whether frame {@code mfn} holds what {@code other}'s frame {@code otherMfn} holds. When both
   * memories keep digests, equal digests count as equal contents: two different contents share a
   * 128-bit digest only by a 2^-128 coincidence, the one a model checker's state matching already
   * rests on, and the check then costs two comparisons instead of 512.
   */
  public boolean frameMatches(@Mfn long mfn, MachineMemory other, @Mfn long otherMfn) {
    checkFrame(mfn);
    other.checkFrame(otherMfn);
    if (digestsKept && other.digestsKept) {
      return hashes[(int) mfn] == other.hashes[(int) otherMfn]
          && otherHashes[(int) mfn] == other.otherHashes[(int) otherMfn];
    }
    return frameEquals(mfn, other, otherMfn);
  }

  /** A content hash of one frame, for state fingerprints; kept up to date by every write. */
  public long frameHash(@Mfn long mfn) {
    checkFrame(mfn);
    if (!digestsKept) {
      long sum = 0;
      int first = (int) mfn << FRAME_WORD_SHIFT;
      for (int position = 0; position < WORDS_PER_FRAME; position++) {
        sum += term(position, word(first + position));
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
      int first = (int) mfn << FRAME_WORD_SHIFT;
      for (int position = 0; position < WORDS_PER_FRAME; position++) {
        other += otherTerm(position, word(first + position));
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
    int first = (int) mfn * CHUNKS_PER_FRAME;
    for (int k = 0; k < CHUNKS_PER_FRAME; k++) {
      System.arraycopy(chunks[first + k], 0, into, k * WORDS_PER_CHUNK, WORDS_PER_CHUNK);
    }
  }

  /**
   * The index of the first 8-byte word of frame {@code mfn}, at or after {@code fromWord}, whose
   * bits under {@code mask} equal {@code value}; -1 when there is none. For scans of a table for
   * entries with given bits (present entries mapping a frame) without a checked read per entry.
   */
  public int nextWordMatching(@Mfn long mfn, int fromWord, long mask, long value) {
    checkFrame(mfn);
    int first = (int) mfn * CHUNKS_PER_FRAME;
    for (int word = Math.max(fromWord, 0); word < WORDS_PER_FRAME; ) {
      long[] chunk = chunks[first + (word >>> CHUNK_SHIFT)];
      int end = ((word >>> CHUNK_SHIFT) + 1) << CHUNK_SHIFT;
      if (chunk == ZERO_CHUNK && value != 0) {
        word = end; // no zero word matches
        continue;
      }
      for (; word < end; word++) {
        if ((chunk[word & WORD_IN_CHUNK] & mask) == value) {
          return word;
        }
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
    int first = (int) mfn * CHUNKS_PER_FRAME;
    for (int word = Math.max(fromWord, 0); word < WORDS_PER_FRAME; ) {
      long[] chunk = chunks[first + (word >>> CHUNK_SHIFT)];
      int end = ((word >>> CHUNK_SHIFT) + 1) << CHUNK_SHIFT;
      if (chunk == ZERO_CHUNK) {
        word = end;
        continue;
      }
      for (; word < end; word++) {
        if (chunk[word & WORD_IN_CHUNK] != 0) {
          return word;
        }
      }
    }
    return -1;
  }

  public boolean isZeroFrame(@Mfn long mfn) {
    checkFrame(mfn);
    int first = (int) mfn * CHUNKS_PER_FRAME;
    for (int k = 0; k < CHUNKS_PER_FRAME; k++) {
      long[] chunk = chunks[first + k];
      if (chunk == ZERO_CHUNK) {
        continue;
      }
      for (long word : chunk) {
        if (word != 0) {
          return false;
        }
      }
    }
    return true;
  }

  /** A copy that behaves as a deep one: chunks are shared until either side writes them. */
  public MachineMemory copy() {
    disown();
    MachineMemory copy = new MachineMemory(chunks.clone(), hashes.clone(), otherHashes.clone());
    copy.digestsKept = digestsKept;
    return copy;
  }

  /**
   * Gives every chunk an array of its own, as an eager deep copy would, so no later write clones
   * one. Benchmarks call it on a fresh copy, outside the timed region: what they time is the
   * engine, not the copy-on-write bookkeeping of the simulation.
   */
  public void unshare() {
    for (int chunk = 0; chunk < chunks.length; chunk++) {
      writable(chunk);
    }
  }

  /**
   * Makes every frame of this memory equal to {@code source}'s (of the same size). A model
   * checker overwrites a discarded copy so for every transition, and the next step writes much
   * the same chunks and words as the last, so: a chunk this memory owns keeps its array, which
   * gets the source's words (only the words written since the last restore, when it was made
   * equal to the array the source still holds); the other chunks are shared. Either way the
   * source's array is never written in place again (the source clones it first).
   */
  public void restoreFrom(MachineMemory source) {
    if (source.chunks.length != chunks.length) {
      throw new IllegalArgumentException("memories differ in size");
    }
    if (source == this) {
      return;
    }
    for (int k = 0; k < writtenCount; k++) {
      int global = writtenWords[k];
      int chunk = global >>> CHUNK_SHIFT;
      long[] from = restoredFrom[chunk];
      if (from != null && from == source.chunks[chunk]) {
        chunks[chunk][global & WORD_IN_CHUNK] = from[global & WORD_IN_CHUNK];
      }
    }
    writtenCount = 0;
    // Take every array of the source, then put back the ones this memory owns, made equal to
    // theirs: one bulk copy instead of a visit per chunk.
    for (int k = 0; k < ownedCount; k++) {
      ownArrays[k] = chunks[ownedChunks[k]];
    }
    System.arraycopy(source.chunks, 0, chunks, 0, chunks.length);
    for (int k = 0; k < ownedCount; k++) {
      int chunk = ownedChunks[k];
      long[] mine = ownArrays[k];
      if (mine == null) {
        throw new IllegalStateException("owned chunk " + chunk + " lost its array");
      }
      long[] theirs = chunks[chunk];
      chunks[chunk] = mine;
      ownArrays[k] = null;
      if (restoredFrom[chunk] != theirs) {
        System.arraycopy(theirs, 0, mine, 0, WORDS_PER_CHUNK);
        restoredFrom[chunk] = theirs;
      }
    }
    source.disown();
    System.arraycopy(source.hashes, 0, hashes, 0, frameCount);
    System.arraycopy(source.otherHashes, 0, otherHashes, 0, frameCount);
    digestsKept = source.digestsKept;
  }

  /** Chunk {@code chunk}'s words, owned by this memory alone, about to change. */
  private long[] writable(int chunk) {
    if (!owned[chunk]) {
      // A chunk this memory does not own is owned by none, so never written in place: the
      // clone stays equal to it but for the writes listed from now on.
      long[] shared = chunks[chunk];
      chunks[chunk] = shared.clone();
      owned[chunk] = true;
      restoredFrom[chunk] = shared;
      if (ownedCount == ownedChunks.length) {
        ownedChunks = Arrays.copyOf(ownedChunks, ownedCount * 2);
        ownArrays = Arrays.copyOf(ownArrays, ownedCount * 2);
      }
      ownedChunks[ownedCount++] = chunk;
    }
    return chunks[chunk];
  }

  /** Gives up every chunk this memory owns: another memory now holds the same arrays. */
  private void disown() {
    for (int k = 0; k < ownedCount; k++) {
      owned[ownedChunks[k]] = false;
      restoredFrom[ownedChunks[k]] = null;
    }
    ownedCount = 0;
  }

  private void checkFrame(@Mfn long mfn) {
    if (!contains(mfn)) {
      throw new IllegalArgumentException(
          "machine frame " + Addr.hex(mfn) + " is outside memory of " + frameCount + " frames");
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
