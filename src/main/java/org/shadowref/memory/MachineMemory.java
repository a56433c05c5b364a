package org.shadowref.memory;

import java.util.Arrays;
import org.shadowref.arch.Addr;
import org.shadowref.arch.qual.Maddr;
import org.shadowref.arch.qual.Mfn;

/**
 * Machine memory: a fixed number of 4 KiB frames, little-endian, addressed by machine address.
 * Guest RAM and shadow tables both live here; which frame is which is decided by the P2M and the
 * engines. Frames are stored as 512 {@code long} words, so 8-byte aligned entry accesses (the
 * common case) touch one array element.
 */
public final class MachineMemory {
  private static final int WORDS_PER_FRAME = (int) (Addr.PAGE_SIZE / 8);

  private final long[][] frames;

  public MachineMemory(int frameCount) {
    if (frameCount <= 0) {
      throw new IllegalArgumentException("machine memory needs at least one frame");
    }
    frames = new long[frameCount][WORDS_PER_FRAME];
  }

  private MachineMemory(long[][] frames) {
    this.frames = frames;
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
    long[] frame = frames[(int) (address >>> Addr.PAGE_SHIFT)];
    int offset = (int) Addr.pageOffset(address);
    int word = offset >>> 3;
    int shift = (offset & 7) * 8;
    if (size == 8 && shift == 0) {
      frame[word] = value;
      return;
    }
    long sizeMask = size == 8 ? -1L : (1L << (size * 8)) - 1;
    long data = value & sizeMask;
    frame[word] = (frame[word] & ~(sizeMask << shift)) | (data << shift);
    int bitsFromFirst = 64 - shift;
    if (bitsFromFirst < size * 8) {
      long highMask = sizeMask >>> bitsFromFirst;
      frame[word + 1] = (frame[word + 1] & ~highMask) | (data >>> bitsFromFirst);
    }
  }

  public void zeroFrame(@Mfn long mfn) {
    checkFrame(mfn);
    Arrays.fill(frames[(int) mfn], 0L);
  }

  public void copyFrame(@Mfn long from, @Mfn long to) {
    checkFrame(from);
    checkFrame(to);
    System.arraycopy(frames[(int) from], 0, frames[(int) to], 0, WORDS_PER_FRAME);
  }

  public boolean frameEquals(@Mfn long mfn, MachineMemory other, @Mfn long otherMfn) {
    checkFrame(mfn);
    other.checkFrame(otherMfn);
    return Arrays.equals(frames[(int) mfn], other.frames[(int) otherMfn]);
  }

  /** A content hash of one frame, for state fingerprints. */
  public long frameHash(@Mfn long mfn) {
    checkFrame(mfn);
    long h = 0x9E37_79B9_7F4A_7C15L;
    for (long word : frames[(int) mfn]) {
      h = (h ^ word) * 0x100_0000_01B3L;
      h ^= h >>> 29;
    }
    return h;
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

  /** A deep copy: the copy and this memory share nothing. */
  public MachineMemory copy() {
    long[][] copied = new long[frames.length][];
    for (int i = 0; i < frames.length; i++) {
      copied[i] = frames[i].clone();
    }
    return new MachineMemory(copied);
  }

  /** Copies every frame of {@code source} (of the same size) into this memory. */
  public void restoreFrom(MachineMemory source) {
    if (source.frames.length != frames.length) {
      throw new IllegalArgumentException("memories differ in size");
    }
    for (int i = 0; i < frames.length; i++) {
      System.arraycopy(source.frames[i], 0, frames[i], 0, WORDS_PER_FRAME);
    }
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
