package org.shadowref.shadow;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;

/**
 * The copy property every platform owes the explorer: a copy taken midway behaves as the
 * original, and so does a discarded copy overwritten midway ({@link Platform#copyInto}).
 */
public final class Forks {
  private Forks() {}

  /**
   * Applies the first half of {@code ops} to {@code platform}, copies it, overwrites with it a copy
   * that had gone its own way, and applies the rest to all three: every result and the words
   * each feeds for its state must agree. {@code platform} ends after all of {@code ops}.
   */
  public static void assertCopyMidwayBehavesAlike(Platform platform, List<GuestOp> ops) {
    int half = ops.size() / 2;
    Platform discarded = platform.copy();
    for (int i = half; i < ops.size(); i++) {
      discarded.apply(ops.get(i));
    }
    for (int i = 0; i < half; i++) {
      platform.apply(ops.get(i));
    }
    Platform fork = platform.copy();
    Platform overwritten = platform.copyInto(discarded);
    assertEquals(words(platform), words(fork));
    assertEquals(words(platform), words(overwritten));
    for (int i = half; i < ops.size(); i++) {
      OpResult expected = platform.apply(ops.get(i));
      assertEquals(expected, fork.apply(ops.get(i)), ops.get(i).toString());
      assertEquals(expected, overwritten.apply(ops.get(i)), ops.get(i) + " on the overwritten copy");
    }
    assertEquals(words(platform), words(fork));
    assertEquals(words(platform), words(overwritten));
    assertEquals(platform.fingerprint(), fork.fingerprint());
  }

  /** The words {@code platform} feeds for its state. */
  private static List<Long> words(Platform platform) {
    List<Long> words = new ArrayList<>();
    platform.fingerprint(words::add);
    return words;
  }
}
