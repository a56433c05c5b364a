package org.shadowref.check.suite;

/** One claim shadowref makes, and how to check it. */
public interface ClaimCheck {
  /** The claim, as a reader would state it. */
  String claim();

  /** Checks the claim at the bounds of {@code preset}; never throws for a failed claim. */
  ClaimResult run(Preset preset, Progress progress);
}
