package org.shadowref.check.suite;

/** Where a long-running claim reports how far it has got. */
public interface Progress {
  Progress NONE = (step, fraction) -> {};

  /** {@code fraction} of the claim's work is done, 0 to 1; {@code step} names what runs now. */
  void update(String step, double fraction);
}
