package org.shadowref.check.proof;

/** What Z3 said about a claim, or about a lemma as a whole. */
public enum Status {
  /** No counterexample exists. */
  PROVED,
  /** Z3 found a counterexample. */
  REFUTED,
  /** The assumptions admit no input at all, so the claim would hold of anything. */
  VACUOUS,
  /** Z3 gave up (timeout or an incomplete theory): neither proved nor refuted. */
  UNKNOWN;

  public String label() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
