package org.shadowref.shadow.core;

import java.util.EnumSet;
import java.util.Set;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The seeded bugs an engine runs with: none in every real configuration. Immutable; {@link #has}
 * is one bit test, cheap on the paths that ask it for every shadow entry written.
 */
public final class SeededBugs {
  public static final SeededBugs NONE = new SeededBugs(0);

  private final long bits;

  private SeededBugs(long bits) {
    this.bits = bits;
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
    return new SeededBugs(bits | 1L << bug.ordinal());
  }

  public boolean has(SeededBug bug) {
    return (bits & 1L << bug.ordinal()) != 0;
  }

  public boolean isEmpty() {
    return bits == 0;
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
    return other instanceof SeededBugs that && that.bits == bits;
  }

  @Override
  public int hashCode() {
    return Long.hashCode(bits);
  }

  @Override
  public String toString() {
    return asSet().toString();
  }

  static {
    if (SeededBug.values().length > Long.SIZE) {
      throw new AssertionError("more seeded bugs than bits in a long");
    }
  }
}
