package org.shadowref.check.explore;

import java.util.Arrays;

/** Small models whose state spaces are known exactly, to test the explorer without an engine. */
final class ToyModels {
  private ToyModels() {}

  /** A counter modulo {@code modulus} starting in 0..{@code starts}-1, stepping by +1 or +2. */
  static class Counter implements Harness<int[]> {
    final int modulus;
    final int starts;

    Counter(int modulus, int starts) {
      this.modulus = modulus;
      this.starts = starts;
    }

    @Override
    public int[] initial(Choices choices, Events events) {
      return new int[] {choices.chooseInt(0, starts - 1)};
    }

    @Override
    public void step(int[] state, Choices choices, Events events) {
      int by = choices.chooseInt(1, 2);
      events.cover(by == 1 ? "plus1" : "plus2");
      state[0] = (state[0] + by) % modulus;
      events.note("+" + by + " -> " + state[0]);
    }

    @Override
    public void check(int[] state, Events events) {}

    @Override
    public int[] copy(int[] state) {
      return state.clone();
    }

    @Override
    public int[] copyInto(int[] source, int[] target) {
      target[0] = source[0];
      return target;
    }

    @Override
    public void fingerprint(int[] state, Fingerprint into) {
      into.add(state[0]);
    }

    @Override
    public String[] coverageLabels() {
      return new String[] {"plus1", "plus2", "never"};
    }
  }

  /** A counter whose every step is skipped (no operation ever enabled): a search of it checks nothing. */
  static final class Stuck extends Counter {
    Stuck() {
      super(10, 1);
    }

    @Override
    public void step(int[] state, Choices choices, Events events) {
      choices.chooseInt(1, 2);
      events.skip();
    }
  }

  /**
   * A queue of bits with room for {@code capacity}: a step dequeues (when not empty) or enqueues
   * 0 or 1 (when not full). With {@code forbidThreeOnes}, holding 1,1,1 in a row is a violation.
   * State: [length, bit0, bit1, ...].
   */
  static final class BitQueue implements Harness<int[]> {
    final int capacity;
    final boolean forbidThreeOnes;

    BitQueue(int capacity, boolean forbidThreeOnes) {
      this.capacity = capacity;
      this.forbidThreeOnes = forbidThreeOnes;
    }

    @Override
    public int[] initial(Choices choices, Events events) {
      return new int[capacity + 1];
    }

    @Override
    public void step(int[] state, Choices choices, Events events) {
      int length = state[0];
      if (choices.chooseBoolean()) {
        int bit = choices.chooseInt(0, 1);
        if (length == capacity) {
          events.skip();
          return;
        }
        state[1 + length] = bit;
        state[0] = length + 1;
        events.cover("enqueue");
        if (events.tracing()) {
          events.note("enqueue " + bit);
        }
      } else {
        if (length == 0) {
          events.skip();
          return;
        }
        System.arraycopy(state, 2, state, 1, capacity - 1);
        state[capacity] = 0;
        state[0] = length - 1;
        events.cover("dequeue");
        events.note("dequeue");
      }
    }

    @Override
    public void check(int[] state, Events events) {
      if (!forbidThreeOnes) {
        return;
      }
      for (int i = 1; i + 2 <= state[0]; i++) {
        if (state[i] == 1 && state[i + 1] == 1 && state[i + 2] == 1) {
          events.violation("no three ones", "queue " + Arrays.toString(state));
          return;
        }
      }
    }

    @Override
    public int[] copy(int[] state) {
      return state.clone();
    }

    @Override
    public void fingerprint(int[] state, Fingerprint into) {
      for (int word : state) {
        into.add(word);
      }
    }
  }

  /** Answers differently the second time it is asked the same question. */
  static final class Forgetful implements Harness<int[]> {
    private int calls;

    @Override
    public int[] initial(Choices choices, Events events) {
      return new int[1];
    }

    @Override
    public void step(int[] state, Choices choices, Events events) {
      calls++;
      state[0] = choices.chooseInt(0, calls % 2 == 0 ? 2 : 1);
    }

    @Override
    public void check(int[] state, Events events) {}

    @Override
    public int[] copy(int[] state) {
      return state.clone();
    }

    @Override
    public void fingerprint(int[] state, Fingerprint into) {
      into.add(state[0]);
    }
  }
}
