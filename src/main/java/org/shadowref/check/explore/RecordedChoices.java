package org.shadowref.check.explore;

/**
 * Answers read back from a {@link Level}'s record of a transition, to rebuild a state the level
 * no longer holds. The harness asks its questions again with the same bounds, so an answer is
 * stored as its offset above the low bound (an unsigned varint); a harness that asks more, or
 * fewer, questions than were recorded, or one whose bounds no longer admit the answer, is not
 * deterministic.
 */
final class RecordedChoices implements Choices {
  private byte[] bytes = new byte[0];
  private int position;
  private int end;

  /** Reads answers from {@code data[from..to)}. */
  void start(byte[] data, int from, int to) {
    bytes = data;
    position = from;
    end = to;
  }

  @Override
  public int chooseInt(int lowInclusive, int highInclusive) {
    if (lowInclusive > highInclusive) {
      throw new IllegalArgumentException("empty choice range " + lowInclusive + ".." + highInclusive);
    }
    int offset = 0;
    int shift = 0;
    while (true) {
      if (position >= end) {
        throw new NondeterministicHarnessException(
            "rebuilding a state, the harness asked more choices than it made when the state was found:"
                + " it is not deterministic");
      }
      byte next = bytes[position++];
      offset |= (next & 0x7F) << shift;
      if (next >= 0) {
        break;
      }
      shift += 7;
    }
    long answer = (long) lowInclusive + Integer.toUnsignedLong(offset);
    if (answer > highInclusive) {
      throw new NondeterministicHarnessException(
          "rebuilding a state, a recorded answer lies above the choice's range " + lowInclusive + ".." + highInclusive
              + ": the harness is not deterministic");
    }
    return (int) answer;
  }

  @Override
  public boolean chooseBoolean() {
    return chooseInt(0, 1) == 1;
  }

  /** Checks that the harness used every recorded answer. */
  void finish() {
    if (position != end) {
      throw new NondeterministicHarnessException(
          "rebuilding a state, the harness asked fewer choices than it made when the state was found:"
              + " it is not deterministic");
    }
  }
}
