package org.shadowref.shadow;

import java.util.function.LongConsumer;

/**
 * State that can be fed to a hash word by word: what {@link WordFold} folds, so that the fold
 * needs to know nothing of platforms or machines.
 */
public interface Fingerprintable {
  /** Feeds the whole state to {@code into} as words, canonically: equal states feed equal words. */
  void fingerprint(LongConsumer into);
}
