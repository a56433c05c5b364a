package org.shadowref.shadow.optimized;

import java.util.Arrays;

/**
 * An open-addressing hash table from non-negative {@code long} keys to {@code long} values, in two
 * primitive arrays: the shadow index keyed by (guest frame, shadow type), as Xen keys its shadow
 * hash. Linear probing; deletion shifts later entries back instead of leaving tombstones, so
 * lookups never degrade with churn. Capacity is fixed at construction, sized from the shadow pool,
 * so the fault path never allocates.
 */
public final class LongLongHashTable {
  private static final long EMPTY = -1;

  private final long[] keys;
  private final long[] values;
  private final int mask;
  private final int maxSize;
  private int size;

  /** A table holding up to {@code maxSize} entries at a load factor of at most 1/2. */
  public LongLongHashTable(int maxSize) {
    int capacity = Integer.highestOneBit(Math.max(4, maxSize * 2 - 1)) << 1;
    keys = new long[capacity];
    values = new long[capacity];
    Arrays.fill(keys, EMPTY);
    mask = capacity - 1;
    this.maxSize = maxSize;
  }

  private LongLongHashTable(LongLongHashTable other) {
    keys = other.keys.clone();
    values = other.values.clone();
    mask = other.mask;
    maxSize = other.maxSize;
    size = other.size;
  }

  public LongLongHashTable copy() {
    return new LongLongHashTable(this);
  }

  public int size() {
    return size;
  }

  /** The value for {@code key}, or {@code missing} when absent. */
  public long get(long key, long missing) {
    int slot = find(key);
    return slot < 0 ? missing : values[slot];
  }

  public boolean containsKey(long key) {
    return find(key) >= 0;
  }

  /** Inserts or replaces; fails loudly when more than {@code maxSize} keys would be held. */
  public void put(long key, long value) {
    checkKey(key);
    int slot = home(key);
    while (keys[slot] != EMPTY) {
      if (keys[slot] == key) {
        values[slot] = value;
        return;
      }
      slot = (slot + 1) & mask;
    }
    if (size == maxSize) {
      throw new IllegalStateException("shadow hash table full at " + maxSize + " entries");
    }
    keys[slot] = key;
    values[slot] = value;
    size++;
  }

  /** Removes {@code key}; returns whether it was present. */
  public boolean remove(long key) {
    int slot = find(key);
    if (slot < 0) {
      return false;
    }
    // Backward-shift deletion: move up every later entry of the probe run that may sit in the hole.
    int hole = slot;
    int next = (hole + 1) & mask;
    while (keys[next] != EMPTY) {
      int home = home(keys[next]);
      boolean movable = ((next - home) & mask) >= ((next - hole) & mask);
      if (movable) {
        keys[hole] = keys[next];
        values[hole] = values[next];
        hole = next;
      }
      next = (next + 1) & mask;
    }
    keys[hole] = EMPTY;
    size--;
    return true;
  }

  /** Calls {@code visitor} for every entry, in slot order (deterministic for equal contents). */
  public void forEach(EntryVisitor visitor) {
    for (int slot = 0; slot < keys.length; slot++) {
      if (keys[slot] != EMPTY) {
        visitor.visit(keys[slot], values[slot]);
      }
    }
  }

  /** Receives entries from {@link #forEach}. */
  public interface EntryVisitor {
    void visit(long key, long value);
  }

  private int find(long key) {
    if (key < 0) {
      return -1;
    }
    int slot = home(key);
    while (keys[slot] != EMPTY) {
      if (keys[slot] == key) {
        return slot;
      }
      slot = (slot + 1) & mask;
    }
    return -1;
  }

  private int home(long key) {
    long h = key * 0x9E37_79B9_7F4A_7C15L;
    return (int) (h ^ (h >>> 32)) & mask;
  }

  private static void checkKey(long key) {
    if (key < 0) {
      throw new IllegalArgumentException("keys must be non-negative, got " + key);
    }
  }
}
