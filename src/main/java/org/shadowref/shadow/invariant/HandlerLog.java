package org.shadowref.shadow.invariant;

import java.util.Arrays;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The page faults an engine's handler resolved during the last operation, in order: where, with
 * which hardware error code, and how (the name of the resolution's kind: {@code FIXED}, {@code
 * INJECT}, {@code MMIO}, {@code UNMAPPED_GFN}, {@code EMULATED}). The progress check judges it
 * against its decision table. Not engine state: copies start empty, fingerprints leave it out.
 */
public final class HandlerLog {
  private int count;
  private long[] vas = new long[16];
  private int[] errorCodes = new int[16];
  private @Nullable String[] kinds = new String[16];

  /** Forgets the last operation's faults (an engine calls it as each operation starts). */
  public void clear() {
    count = 0;
  }

  /** Notes one resolved fault; {@code kind} is the resolution kind's name (a constant: no allocation). */
  public void add(long va, int errorCode, String kind) {
    if (count == vas.length) {
      vas = Arrays.copyOf(vas, count * 2);
      errorCodes = Arrays.copyOf(errorCodes, count * 2);
      kinds = Arrays.copyOf(kinds, count * 2);
    }
    vas[count] = va;
    errorCodes[count] = errorCode;
    kinds[count] = kind;
    count++;
  }

  public int size() {
    return count;
  }

  public long va(int i) {
    return vas[i];
  }

  public int errorCode(int i) {
    return errorCodes[i];
  }

  public String kind(int i) {
    String kind = i < count ? kinds[i] : null;
    if (kind == null) {
      throw new IndexOutOfBoundsException("fault " + i + " of " + count);
    }
    return kind;
  }

  @Override
  public String toString() {
    StringBuilder out = new StringBuilder("[");
    for (int i = 0; i < count; i++) {
      out.append(i == 0 ? "" : ", ").append(kinds[i]).append(" at 0x").append(Long.toHexString(vas[i]))
          .append(" ec 0x").append(Integer.toHexString(errorCodes[i]));
    }
    return out.append(']').toString();
  }
}
