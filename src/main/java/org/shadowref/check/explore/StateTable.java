package org.shadowref.check.explore;

import java.util.Arrays;

/**
 * The states seen so far, keyed by their 128-bit fingerprint: open addressing with linear
 * probing over one {@code long[]} holding both halves, so no object is allocated per state.
 * Each state gets a dense id in order of discovery; per id the table keeps what the search needs
 * to rebuild a trace (the parent's id and which of the parent's transitions led here) and the
 * shallowest depth at which the state was reached.
 *
 * <p>The pair (0, 0) marks an empty slot, so a state whose fingerprint is (0, 0) is stored as
 * (0, 1): one more possible collision among 2^128.
 */
final class StateTable {
  static final int NO_PARENT = -1;

  private long[] keys;
  private int[] slotIds;
  private int mask;
  private int size;

  private int[] parent = new int[1024];
  private int[] transition = new int[1024];
  private int[] depth = new int[1024];

  StateTable() {
    int capacity = 1 << 12;
    keys = new long[capacity * 2];
    slotIds = new int[capacity];
    mask = capacity - 1;
  }

  int size() {
    return size;
  }

  /**
   * The id of the state with this fingerprint, inserting it with the given origin when new. A
   * new state's id is {@code size() - 1} afterwards; callers tell new from old by comparing.
   */
  int findOrAdd(long high, long low, int parentId, int transitionIndex, int stateDepth) {
    if (high == 0 && low == 0) {
      low = 1;
    }
    int slot = (int) (mixSlot(high, low)) & mask;
    while (true) {
      long storedHigh = keys[2 * slot];
      long storedLow = keys[2 * slot + 1];
      if (storedHigh == 0 && storedLow == 0) {
        break;
      }
      if (storedHigh == high && storedLow == low) {
        return slotIds[slot];
      }
      slot = (slot + 1) & mask;
    }
    int id = size++;
    keys[2 * slot] = high;
    keys[2 * slot + 1] = low;
    slotIds[slot] = id;
    if (id == parent.length) {
      int grown = id * 2;
      parent = Arrays.copyOf(parent, grown);
      transition = Arrays.copyOf(transition, grown);
      depth = Arrays.copyOf(depth, grown);
    }
    parent[id] = parentId;
    transition[id] = transitionIndex;
    depth[id] = stateDepth;
    if (size * 2 > slotIds.length) {
      grow();
    }
    return id;
  }

  int parent(int id) {
    return parent[id];
  }

  int transition(int id) {
    return transition[id];
  }

  int depth(int id) {
    return depth[id];
  }

  /** Records a shorter way to reach {@code id} (depth-first search finds states deep first). */
  void reroute(int id, int parentId, int transitionIndex, int stateDepth) {
    parent[id] = parentId;
    transition[id] = transitionIndex;
    depth[id] = stateDepth;
  }

  /** Bytes held by the table's arrays. */
  long footprintBytes() {
    return 8L * keys.length + 4L * slotIds.length + 12L * parent.length;
  }

  private void grow() {
    long[] oldKeys = keys;
    int[] oldIds = slotIds;
    int capacity = oldIds.length * 2;
    keys = new long[capacity * 2];
    slotIds = new int[capacity];
    mask = capacity - 1;
    for (int old = 0; old < oldIds.length; old++) {
      long high = oldKeys[2 * old];
      long low = oldKeys[2 * old + 1];
      if (high == 0 && low == 0) {
        continue;
      }
      int slot = (int) (mixSlot(high, low)) & mask;
      while (keys[2 * slot] != 0 || keys[2 * slot + 1] != 0) {
        slot = (slot + 1) & mask;
      }
      keys[2 * slot] = high;
      keys[2 * slot + 1] = low;
      slotIds[slot] = oldIds[old];
    }
  }

  private static long mixSlot(long high, long low) {
    long h = high ^ (low * 0x9E37_79B9_7F4A_7C15L);
    return h ^ (h >>> 32);
  }
}
