package org.shadowref.shadow.core;

import java.util.EnumSet;
import java.util.Set;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The seeded bugs an engine runs with: none in every real configuration. Immutable; {@link #has}
 * is one bit test, cheap on the paths that ask it for every shadow entry written. The bugs are bits
 * of two words, by ordinal: 64 in the first, the rest in the second.
 */
public final class SeededBugs {
  public static final SeededBugs NONE = new SeededBugs(0, 0);

  private final long low;
  private final long high;

  private SeededBugs(long low, long high) {
    this.low = low;
    this.high = high;
  }

  /** Exactly {@code bug}, or none when it is null. */
  public static SeededBugs of(@Nullable SeededBug bug) {
    return bug == null ? NONE : NONE.with(bug);
  }

  public static SeededBugs of(Set<SeededBug> bugs) {
    SeededBugs all = NONE;
    for (SeededBug bug : bugs) {
      all = all.with(bug);
    }
    return all;
  }

  public SeededBugs with(SeededBug bug) {
    int bit = bug.ordinal();
    return bit < Long.SIZE ? new SeededBugs(low | 1L << bit, high) : new SeededBugs(low, high | 1L << (bit - Long.SIZE));
  }

  public boolean has(SeededBug bug) {
    int bit = bug.ordinal();
    return ((bit < Long.SIZE ? low : high) & 1L << bit) != 0; // a shift takes its count modulo 64
  }

  public boolean isEmpty() {
    return (low | high) == 0;
  }

  public Set<SeededBug> asSet() {
    EnumSet<SeededBug> set = EnumSet.noneOf(SeededBug.class);
    for (SeededBug bug : SeededBug.values()) {
      if (has(bug)) {
        set.add(bug);
      }
    }
    return set;
  }

  @Override
  public boolean equals(@Nullable Object other) {
    return other instanceof SeededBugs that && that.low == low && that.high == high;
  }

  @Override
  public int hashCode() {
    return Long.hashCode(low) * 31 + Long.hashCode(high);
  }

  @Override
  public String toString() {
    return asSet().toString();
  }

  static {
    if (SeededBug.values().length > 2 * Long.SIZE) {
      throw new AssertionError("more seeded bugs than bits in two longs");
    }
  }
}
