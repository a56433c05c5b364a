package org.shadowref.emulate;

import org.shadowref.arch.Addr;
import org.shadowref.arch.qual.Maddr;

/**
 * A run of guest-linear bytes whose translation is already done: the machine address of its
 * first byte and, when it crosses into the next page, of the first byte on that page. Reads and
 * writes through it cannot fault, which is what lets execution write only after every page an
 * instruction touches has been translated.
 */
final class GuestRange {
  final long linear;
  final int size;
  private final long firstMaddr;
  /** Bytes on the first page; {@code size} when the range does not cross a page. */
  private final int firstLength;
  private final long secondMaddr;

  GuestRange(long linear, int size, long firstMaddr, int firstLength, long secondMaddr) {
    this.linear = linear;
    this.size = size;
    this.firstMaddr = firstMaddr;
    this.firstLength = firstLength;
    this.secondMaddr = secondMaddr;
  }

  /** How many of the {@code length} bytes from {@code offset} lie on the first page. */
  int bytesOnFirstPage(int offset, int length) {
    return Math.max(0, Math.min(length, firstLength - offset));
  }

  /** Reads {@code length} (1..8) bytes starting {@code offset} bytes into the range. */
  long read(LinearMemory memory, int offset, int length) {
    if (offset + length <= firstLength && isAccessSize(length)) {
      return memory.read(Addr.maddr(firstMaddr + offset), length);
    }
    long value = 0;
    for (int i = 0; i < length; i++) {
      value |= memory.read(byteAddress(offset + i), 1) << (8 * i);
    }
    return value;
  }

  /** Writes the low {@code length} (1..8) bytes of {@code value} at {@code offset}. */
  void write(LinearMemory memory, int offset, int length, long value) {
    if (offset + length <= firstLength && isAccessSize(length)) {
      memory.write(Addr.maddr(firstMaddr + offset), length, value);
      return;
    }
    for (int i = 0; i < length; i++) {
      memory.write(byteAddress(offset + i), 1, value >>> (8 * i));
    }
  }

  private @Maddr long byteAddress(int offset) {
    long address = offset < firstLength ? firstMaddr + offset : secondMaddr + (offset - firstLength);
    return Addr.maddr(address);
  }

  private static boolean isAccessSize(int length) {
    return length == 1 || length == 2 || length == 4 || length == 8;
  }
}
