package org.shadowref.check.explore;

import java.util.Arrays;
import java.util.List;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The states of one breadth-first level that are to be expanded, kept as the way to rebuild
 * them rather than as states: per entry the state's id, the index of its parent in the previous
 * level, and the answers of the transition from that parent (for the first level, the answers
 * that built the initial state). A worker rebuilds an entry by replaying those answers from its
 * parent, which it rebuilds the same way unless it has it at hand (see {@link Explorer}).
 *
 * <p>Answers are stored as unsigned varints of {@code answer - low}, low being the choice's lower
 * bound, which the replaying harness supplies again: one byte for nearly every answer the models
 * give. A level costs 12 bytes per entry plus its answers; once expanded it keeps only parents
 * and answers (8 bytes plus answers), which its descendants' replays need.
 */
final class Level {
  /** Parent index of an entry of the first level: it is built by the initial choices alone. */
  static final int ROOT = -1;

  final @Nullable Level previous;
  /** Steps from an initial state to each state of this level. */
  final int depth;
  private int @Nullable [] ids = new int[16];
  private int[] parents = new int[16];
  /** Entry {@code i}'s answers are bytes {@code answerEnds[i - 1]} (0 for the first) up to {@code answerEnds[i]}. */
  private int[] answerEnds = new int[16];
  private byte[] answers = new byte[64];
  private int answerBytes;
  private int size;

  Level(@Nullable Level previous, int depth) {
    this.previous = previous;
    this.depth = depth;
  }

  /** The parts' entries in order, one after another: the level the workers built together. */
  static Level concat(@Nullable Level previous, int depth, List<Level> parts) {
    Level joined = new Level(previous, depth);
    int entries = 0;
    int bytes = 0;
    for (Level part : parts) {
      entries += part.size;
      bytes += part.answerBytes;
    }
    joined.ids = new int[entries];
    joined.parents = new int[entries];
    joined.answerEnds = new int[entries];
    joined.answers = new byte[bytes];
    for (Level part : parts) {
      System.arraycopy(part.ids(), 0, joined.ids(), joined.size, part.size);
      System.arraycopy(part.parents, 0, joined.parents, joined.size, part.size);
      for (int i = 0; i < part.size; i++) {
        joined.answerEnds[joined.size + i] = part.answerEnds[i] + joined.answerBytes;
      }
      System.arraycopy(part.answers, 0, joined.answers, joined.answerBytes, part.answerBytes);
      joined.size += part.size;
      joined.answerBytes += part.answerBytes;
    }
    return joined;
  }

  boolean isEmpty() {
    return size == 0;
  }

  int size() {
    return size;
  }

  /** Adds the state {@code id}, reached from entry {@code parentIndex} of the previous level by the answers {@code run} just gave. */
  void add(int id, int parentIndex, ChoiceOdometer run) {
    int start = startEntry(id, parentIndex);
    for (int k = 0; k < run.made(); k++) {
      writeAnswer(run.offset(k));
    }
    answerEnds[start] = answerBytes;
  }

  /** Adds the state {@code id}, reached from entry {@code parentIndex} by answers given as offsets above their lows. */
  void add(int id, int parentIndex, int[] offsets) {
    int start = startEntry(id, parentIndex);
    for (int offset : offsets) {
      writeAnswer(offset);
    }
    answerEnds[start] = answerBytes;
  }

  private int startEntry(int id, int parentIndex) {
    int[] held = ids();
    if (size == parents.length) {
      int grown = size + (size >> 1) + 16;
      held = Arrays.copyOf(held, grown);
      ids = held;
      parents = Arrays.copyOf(parents, grown);
      answerEnds = Arrays.copyOf(answerEnds, grown);
    }
    held[size] = id;
    parents[size] = parentIndex;
    return size++;
  }

  private void writeAnswer(int offset) {
    if (answerBytes + 5 > answers.length) {
      long grown = (long) answers.length + (answers.length >> 1) + 64;
      if (grown > Integer.MAX_VALUE - 8) {
        throw new IllegalStateException("one breadth-first level holds more than 2 GiB of answers");
      }
      answers = Arrays.copyOf(answers, (int) grown);
    }
    // Unsigned: an offset above the low is never negative, but may exceed Integer.MAX_VALUE as a value.
    int rest = offset;
    while ((rest & ~0x7F) != 0) {
      answers[answerBytes++] = (byte) ((rest & 0x7F) | 0x80);
      rest >>>= 7;
    }
    answers[answerBytes++] = (byte) rest;
  }

  int id(int index) {
    return ids()[index];
  }

  int parent(int index) {
    return parents[index];
  }

  /** Points {@code choices} at entry {@code index}'s answers. */
  void answersOf(int index, RecordedChoices choices) {
    choices.start(answers, index == 0 ? 0 : answerEnds[index - 1], answerEnds[index]);
  }

  /**
   * Lets go of the ids, once the level has been expanded: its entries are then only the parents
   * of the next level's, and a replay needs their parents and answers alone. Also gives back
   * the arrays' unused room.
   */
  void expanded() {
    ids = null;
    parents = Arrays.copyOf(parents, size);
    answerEnds = Arrays.copyOf(answerEnds, size);
    answers = Arrays.copyOf(answers, answerBytes);
  }

  /** Bytes held by this level's arrays (not the earlier levels'). */
  long footprintBytes() {
    int[] held = ids;
    return 4L * (held == null ? 0 : held.length) + 4L * parents.length + 4L * answerEnds.length + answers.length;
  }

  private int[] ids() {
    int[] held = ids;
    if (held == null) {
      throw new IllegalStateException("the level at depth " + depth + " was expanded: it no longer keeps ids");
    }
    return held;
  }
}
