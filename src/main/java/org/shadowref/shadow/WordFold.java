package org.shadowref.shadow;

import java.util.function.LongConsumer;

/**
 * Folds the words a platform or a guest machine feeds for its state into one 64-bit hash: their
 * single-word fingerprints, of state that model checkers take word by word and hash at 128 bits.
 */
public final class WordFold implements LongConsumer {
  private long hash = 0x243F_6A88_85A3_08D3L;

  /** The fold of every word {@code state} feeds. */
  public static long of(Fingerprintable state) {
    WordFold fold = new WordFold();
    state.fingerprint(fold);
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
