package org.shadowref.check.diff;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.shadow.GuestOp;
import org.shadowref.shadow.OpResult;
import org.shadowref.shadow.Platform;

/**
 * The copy property every platform owes the explorer and the shrinker: a copy taken midway
 * behaves as the original, and so does a discarded copy overwritten midway ({@link
 * Platform#copyInto}): every later result agrees, and so do the words each feeds for its state.
 */
public final class CopyCheck {
  private CopyCheck() {}

  /**
   * Applies the first half of {@code ops} to {@code platform}, copies it, overwrites with it a copy
   * that had gone its own way, and applies the rest to all three: null when every result and the
   * state words agree, else the first difference. {@code platform} ends after all of {@code ops}.
   */
  public static @Nullable String copyMidwayBehavesAlike(Platform platform, List<GuestOp> ops) {
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
    String differs = stateDiffers(platform, fork, overwritten, "at the copy");
    for (int i = half; i < ops.size() && differs == null; i++) {
      GuestOp op = ops.get(i);
      OpResult expected = platform.apply(op);
      OpResult forked = fork.apply(op);
      OpResult again = overwritten.apply(op);
      if (!expected.equals(forked)) {
        differs = "'" + op + "': the original gave " + expected + ", the copy " + forked;
      } else if (!expected.equals(again)) {
        differs = "'" + op + "': the original gave " + expected + ", the overwritten copy " + again;
      }
    }
    if (differs == null) {
      differs = stateDiffers(platform, fork, overwritten, "at the end");
    }
    if (differs == null && platform.fingerprint() != fork.fingerprint()) {
      differs = "at the end: the copy's fingerprint differs from the original's";
    }
    return differs == null ? null : platform.name() + ": " + differs;
  }

  private static @Nullable String stateDiffers(Platform original, Platform fork, Platform overwritten, String when) {
    List<Long> words = words(original);
    if (!Objects.equals(words, words(fork))) {
      return when + ": the copy's state differs from the original's";
    }
    return Objects.equals(words, words(overwritten)) ? null : when + ": the overwritten copy's state differs";
  }

  /** The words {@code platform} feeds for its state. */
  private static List<Long> words(Platform platform) {
    List<Long> words = new ArrayList<>();
    platform.fingerprint(words::add);
    return words;
  }
}
