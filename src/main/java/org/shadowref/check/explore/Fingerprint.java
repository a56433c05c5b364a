package org.shadowref.check.explore;

import java.util.function.LongConsumer;

/**
 * A 128-bit canonical hash of a model state, built from the words a harness feeds it. The two
 * 64-bit halves come from differently seeded, differently mixed streams over the same words, so
 * two distinct states collide only if both halves do: with n states the chance of any collision
 * is about n^2 / 2^129 for independent halves (under 10^-24 at 10^8 states), where a single
 * 64-bit hash would already risk 3 x 10^-4 at 10^8 states. A collision would make the explorer
 * treat a new state as seen, so this is what makes "every reachable state was checked" true in
 * practice.
 *
 * <p>It is a {@link LongConsumer} so that lower layers (engines, machines) can feed their state
 * without knowing this class.
 */
public final class Fingerprint implements LongConsumer {
  private static final long SEED_A = 0x243F_6A88_85A3_08D3L;
  private static final long SEED_B = 0x1319_8A2E_0370_7344L;
  private static final long MUL_A = 0x9E37_79B9_7F4A_7C15L;
  private static final long MUL_B = 0xC2B2_AE3D_27D4_EB4FL;
  private static final long MUL_C = 0x1656_67B1_9E37_79F9L;

  private long a = SEED_A;
  private long b = SEED_B;
  private long count;

  /** Starts a new state. */
  public Fingerprint reset() {
    a = SEED_A;
    b = SEED_B;
    count = 0;
    return this;
  }

  public Fingerprint add(long word) {
    a = Long.rotateLeft(a ^ (word * MUL_A), 29) * MUL_B;
    b = Long.rotateLeft(b + (word ^ (word >>> 31)) * MUL_C, 37) ^ (b * MUL_A);
    count++;
    return this;
  }

  public Fingerprint add(int word) {
    return add((long) word);
  }

  public Fingerprint add(boolean bit) {
    return add(bit ? 1L : 0L);
  }

  /** Adds the length and then every word: arrays of different lengths never run together. */
  public Fingerprint add(long[] words) {
    add(words.length);
    for (long word : words) {
      add(word);
    }
    return this;
  }

  @Override
  public void accept(long word) {
    add(word);
  }

  /** The first 64-bit half of the hash of the words fed since {@link #reset()}. */
  public long high() {
    return mix(a ^ count);
  }

  /** The second, independently computed half. */
  public long low() {
    return mix(b + count * MUL_A);
  }

  /** Whether both halves equal {@code other}'s: the same words were fed, but for a 128-bit coincidence. */
  public boolean sameAs(Fingerprint other) {
    return high() == other.high() && low() == other.low();
  }

  /** The MurmurHash3 finaliser: every input bit affects every output bit. */
  private static long mix(long h) {
    h ^= h >>> 33;
    h *= 0xFF51_AFD7_ED55_8CCDL;
    h ^= h >>> 33;
    h *= 0xC4CE_B9FE_1A85_EC53L;
    h ^= h >>> 33;
    return h;
  }
}
