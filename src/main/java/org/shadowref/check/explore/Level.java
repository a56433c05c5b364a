package org.shadowref.check.explore;

import java.util.Arrays;
import java.util.List;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The states of one breadth-first level that are to be expanded, with their ids. Workers take
 * states by index, each index once, and the level lets go of a state as it is taken, so a level
 * being expanded holds only the states still waiting.
 */
final class Level<S> {
  private @Nullable Object[] states = new Object[64];
  private int[] ids = new int[64];
  private int size;

  /** The levels' states in order, one after another. */
  static <S> Level<S> concat(List<Level<S>> parts) {
    Level<S> joined = new Level<>();
    for (Level<S> part : parts) {
      for (int i = 0; i < part.size; i++) {
        joined.add(part.take(i), part.id(i));
      }
    }
    return joined;
  }

  boolean isEmpty() {
    return size == 0;
  }

  int size() {
    return size;
  }

  void add(S state, int id) {
    if (size == states.length) {
      states = Arrays.copyOf(states, size * 2);
      ids = Arrays.copyOf(ids, size * 2);
    }
    states[size] = state;
    ids[size] = id;
    size++;
  }

  int id(int index) {
    return ids[index];
  }

  /** The state at {@code index}, which the level no longer holds afterwards. */
  // The array holds only S values, put there by add().
  @SuppressWarnings("unchecked")
  S take(int index) {
    Object state = states[index];
    if (state == null) {
      throw new IllegalStateException("state " + index + " of the level was taken already");
    }
    states[index] = null;
    return (S) state;
  }
}
