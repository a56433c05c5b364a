package org.shadowref.emulate;

import java.util.Map;
import java.util.TreeMap;
import org.shadowref.arch.Access;
import org.shadowref.arch.Addr;
import org.shadowref.arch.qual.Gva;
import org.shadowref.arch.qual.Maddr;
import org.shadowref.mmu.AccessOutcome;

/**
 * Passes every access through to another linear memory and records what was written where, byte
 * by byte (the last value written to each machine byte), and how many translations were asked.
 * Two executors wrote the same thing exactly when their records are equal, however they split
 * their writes.
 */
public final class RecordingLinearMemory implements LinearMemory {
  private final LinearMemory inner;
  private final TreeMap<Long, Integer> written = new TreeMap<>();
  private int translations;

  public RecordingLinearMemory(LinearMemory inner) {
    this.inner = inner;
  }

  @Override
  public AccessOutcome translate(@Gva long va, Access access) {
    translations++;
    return inner.translate(va, access);
  }

  @Override
  public long read(@Maddr long maddr, int size) {
    return inner.read(maddr, size);
  }

  @Override
  public void write(@Maddr long maddr, int size, long value) {
    for (int i = 0; i < size; i++) {
      written.put(maddr + i, (int) ((value >>> (8 * i)) & 0xFF));
    }
    inner.write(maddr, size, value);
  }

  /** Machine byte address to the last byte value written there, in address order. */
  public Map<Long, Integer> written() {
    return written;
  }

  public boolean wroteNothing() {
    return written.isEmpty();
  }

  public int translations() {
    return translations;
  }

  public void clear() {
    written.clear();
    translations = 0;
  }

  /** The writes as {@code maddr:bytes} runs, e.g. {@code 0x8010:0100000000000000}. */
  public String describeWrites() {
    StringBuilder out = new StringBuilder();
    long runEnd = Long.MIN_VALUE;
    for (Map.Entry<Long, Integer> entry : written.entrySet()) {
      long address = entry.getKey();
      if (address != runEnd) {
        out.append(out.length() == 0 ? "" : " ").append(Addr.hex(address)).append(':');
      }
      out.append(String.format("%02x", entry.getValue()));
      runEnd = address + 1;
    }
    return out.length() == 0 ? "nothing" : out.toString();
  }
}
