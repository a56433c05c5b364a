package org.shadowref.shadow;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

/** The copy property every platform owes the explorer: a copy taken midway behaves as the original. */
public final class Forks {
  private Forks() {}

  /**
   * Applies the first half of {@code ops} to {@code platform}, copies it, and applies the rest to
   * both: every result and both fingerprints must agree. {@code platform} ends after all of {@code ops}.
   */
  public static void assertCopyMidwayBehavesAlike(Platform platform, List<GuestOp> ops) {
    int half = ops.size() / 2;
    for (int i = 0; i < half; i++) {
      platform.apply(ops.get(i));
    }
    Platform fork = platform.copy();
    assertEquals(platform.fingerprint(), fork.fingerprint());
    for (int i = half; i < ops.size(); i++) {
      assertEquals(platform.apply(ops.get(i)), fork.apply(ops.get(i)), ops.get(i).toString());
    }
    assertEquals(platform.fingerprint(), fork.fingerprint());
  }
}
