package org.shadowref.check.explore;

import java.util.Arrays;

/**
 * Enumerates every sequence of choices one call of a harness can make, like an odometer: a run
 * replays the recorded prefix and takes the lowest value at each new choice point; {@link
 * #advance()} then turns the last choice that has values left and forgets the ones after it.
 * Because a deterministic harness repeats its choice points when given the same earlier answers,
 * this visits each distinct choice sequence exactly once, including sequences whose later choices
 * depend on earlier answers.
 */
final class ChoiceOdometer implements Choices {
  private int[] values = new int[16];
  private int[] lows = new int[16];
  private int[] highs = new int[16];
  /** Choices recorded: the prefix the next run replays. */
  private int length;
  /** Choices made by the current run. */
  private int position;
  /** Which sequence of this enumeration the current run is: its index in enumeration order. */
  private int sequence;

  /** Starts enumerating the choice sequences of a new call. */
  void reset() {
    length = 0;
    position = 0;
    sequence = 0;
  }

  /** Starts one run of the call. */
  void beginRun() {
    position = 0;
  }

  /**
   * Ends a run and moves to the next choice sequence; false when every sequence has been run.
   *
   * @throws NondeterministicHarnessException when the run did not replay the recorded choices
   */
  boolean advance() {
    endRun();
    length = position;
    while (length > 0 && values[length - 1] == highs[length - 1]) {
      length--;
    }
    if (length == 0) {
      return false;
    }
    values[length - 1]++;
    sequence++;
    return true;
  }

  /** Checks that a run replayed all the recorded choices, as a deterministic harness does. */
  void endRun() {
    if (position < length) {
      throw new NondeterministicHarnessException(
          "the harness made " + position + " choices where an earlier run with the same answers made "
              + length + ": it is not deterministic");
    }
  }

  int sequence() {
    return sequence;
  }

  /** How many choices the current run has made so far. */
  int made() {
    return position;
  }

  /** The current run's answer to choice {@code k}, as its offset above the choice's low bound. */
  int offset(int k) {
    return values[k] - lows[k];
  }

  /** The current run's answers so far, each as its offset above the choice's low bound. */
  int[] offsets() {
    int[] offsets = new int[position];
    for (int k = 0; k < position; k++) {
      offsets[k] = values[k] - lows[k];
    }
    return offsets;
  }

  /** The answers the current run received, in order. */
  int[] answers() {
    return Arrays.copyOf(values, position);
  }

  @Override
  public int chooseInt(int lowInclusive, int highInclusive) {
    if (lowInclusive > highInclusive) {
      throw new IllegalArgumentException("empty choice range " + lowInclusive + ".." + highInclusive);
    }
    if (position < length) {
      if (lows[position] != lowInclusive || highs[position] != highInclusive) {
        throw new NondeterministicHarnessException(
            "choice " + position + " asked for " + lowInclusive + ".." + highInclusive + " where an earlier run with"
                + " the same answers asked for " + lows[position] + ".." + highs[position]
                + ": the harness is not deterministic");
      }
      return values[position++];
    }
    if (position == values.length) {
      values = Arrays.copyOf(values, position * 2);
      lows = Arrays.copyOf(lows, position * 2);
      highs = Arrays.copyOf(highs, position * 2);
    }
    values[position] = lowInclusive;
    lows[position] = lowInclusive;
    highs[position] = highInclusive;
    position++;
    length = position;
    return lowInclusive;
  }

  @Override
  public boolean chooseBoolean() {
    return chooseInt(0, 1) == 1;
  }
}
