package org.shadowref.check.conformance;

/**
 * What the SDM says one combination must do.
 *
 * @param outcome whether the access succeeds, and if not, why
 * @param errorCode the #PF error code when it faults, else 0
 * @param translated the physical address reached when it succeeds, else 0
 * @param flagsAfter the flags of the entry at each level (index 1..4) after the access
 */
public record Expectation(Outcome outcome, int errorCode, long translated, int[] flagsAfter) {
  /** How an access ends. */
  public enum Outcome {
    OK,
    NOT_PRESENT,
    RESERVED_BIT,
    PROTECTION
  }

  public boolean ok() {
    return outcome == Outcome.OK;
  }
}
