package org.shadowref.check.proof;

import java.util.List;
import org.checkerframework.checker.nullness.qual.Nullable;

/** The answers for every claim of a lemma about one subject (the code or a broken variant). */
public record Verdict(List<ClaimAnswer> claims, long millis) {
  /** Proved when every claim is; refuted when any is; else vacuous or unknown, as a claim is. */
  public Status status() {
    Status worst = Status.PROVED;
    for (ClaimAnswer claim : claims) {
      if (claim.status() == Status.REFUTED) {
        return Status.REFUTED;
      }
      if (claim.status() != Status.PROVED) {
        worst = claim.status();
      }
    }
    return worst;
  }

  /** The first refuted claim, or null when none was. */
  public @Nullable ClaimAnswer firstRefuted() {
    for (ClaimAnswer claim : claims) {
      if (claim.status() == Status.REFUTED) {
        return claim;
      }
    }
    return null;
  }
}
