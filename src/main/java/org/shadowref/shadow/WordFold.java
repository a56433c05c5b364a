package org.shadowref.shadow;

import java.util.function.LongConsumer;

/**
 * Folds the words a platform feeds for its state into one 64-bit hash: the single-word
 * fingerprints ({@link Platform#fingerprint()}, {@link GuestMachine#guestFingerprint()}) of state
 * that model checkers take word by word and hash at 128 bits.
 */
public final class WordFold implements LongConsumer {
  private long hash = 0x243F_6A88_85A3_08D3L;

  /** The fold of every word {@code platform} feeds for its state. */
  public static long of(Platform platform) {
    WordFold fold = new WordFold();
    platform.fingerprint(fold);
    return fold.value();
  }

  @Override
  public void accept(long word) {
    hash = Long.rotateLeft((hash ^ word) * 0x9E37_79B9_7F4A_7C15L, 29);
  }

  public long value() {
    return hash;
  }
}
