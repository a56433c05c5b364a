package org.shadowref.check.explore;

import org.checkerframework.checker.nullness.qual.Nullable;

/** The breadth-first queue: states and their ids in a growable ring buffer. */
final class Frontier<S> {
  private @Nullable Object[] states = new Object[256];
  private int[] ids = new int[256];
  private int head;
  private int size;

  boolean isEmpty() {
    return size == 0;
  }

  int size() {
    return size;
  }

  void add(S state, int id) {
    if (size == states.length) {
      @Nullable Object[] grownStates = new Object[size * 2];
      int[] grownIds = new int[size * 2];
      for (int i = 0; i < size; i++) {
        grownStates[i] = states[(head + i) % states.length];
        grownIds[i] = ids[(head + i) % states.length];
      }
      states = grownStates;
      ids = grownIds;
      head = 0;
    }
    int tail = (head + size) % states.length;
    states[tail] = state;
    ids[tail] = id;
    size++;
  }

  int peekId() {
    return ids[head];
  }

  // The array holds only S values, put there by add().
  @SuppressWarnings("unchecked")
  S poll() {
    if (size == 0) {
      throw new IllegalStateException("the frontier is empty");
    }
    S state = (S) states[head];
    states[head] = null;
    head = (head + 1) % states.length;
    size--;
    return state;
  }
}
