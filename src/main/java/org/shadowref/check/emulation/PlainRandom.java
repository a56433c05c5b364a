package org.shadowref.check.emulation;

import java.util.Random;

/**
 * {@link Random}'s generator (the 48-bit linear congruential one its specification fixes) with
 * the seed in a plain field instead of an {@code AtomicLong}: every draw of {@code Random} is a
 * compare-and-set, and a case draws thousands (a word per guest data word), which made the
 * atomic update most of a case's time. Every {@code next*} method of {@code Random} is built on
 * {@link #next}, so the same seed gives the same values as {@code new Random(seed)}. For one
 * thread: a case's generator is never shared.
 */
final class PlainRandom extends Random {
  private static final long serialVersionUID = 1L;
  private static final long MULTIPLIER = 0x5DEECE66DL;
  private static final long ADDEND = 0xBL;
  private static final long MASK = (1L << 48) - 1;

  /** Set by {@link #setSeed}, which {@code Random}'s constructor calls for a subclass. */
  private long state;

  PlainRandom(long seed) {
    super(seed);
  }

  @Override
  public void setSeed(long seed) {
    super.setSeed(seed); // also resets Random's own state (the cached Gaussian)
    state = (seed ^ MULTIPLIER) & MASK;
  }

  @Override
  protected int next(int bits) {
    state = (state * MULTIPLIER + ADDEND) & MASK;
    return (int) (state >>> (48 - bits));
  }
}
