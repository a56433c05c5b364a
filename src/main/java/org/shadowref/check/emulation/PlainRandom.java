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

  /** The generator's state: {@link #at} it gives a generator that draws what this one draws next. */
  long state() {
    return state;
  }

  /** A generator at {@code state}, a value of {@link #state}. */
  static PlainRandom at(long state) {
    PlainRandom random = new PlainRandom(0);
    random.state = state;
    return random;
  }

  /**
   * Advances as {@code draws} calls of {@link #next} would, in O(log draws) steps: k steps of
   * {@code x -> a x + c} are again such a map, and the maps for powers of two compose by squaring.
   */
  void skip(long draws) {
    long multiplier = MULTIPLIER;
    long addend = ADDEND;
    long skipMultiplier = 1;
    long skipAddend = 0;
    for (long left = draws; left > 0; left >>>= 1) {
      if ((left & 1) != 0) {
        skipMultiplier = (skipMultiplier * multiplier) & MASK;
        skipAddend = (skipAddend * multiplier + addend) & MASK;
      }
      addend = ((multiplier + 1) * addend) & MASK;
      multiplier = (multiplier * multiplier) & MASK;
    }
    state = (skipMultiplier * state + skipAddend) & MASK;
  }

  @Override
  protected int next(int bits) {
    state = (state * MULTIPLIER + ADDEND) & MASK;
    return (int) (state >>> (48 - bits));
  }
}
