package org.shadowref.check.suite;

import java.util.List;

/**
 * The outcome of checking one claim: whether it held, the evidence that decided it, a detail line
 * for readers, and, for a failure, pictures (SVG) of where it failed.
 */
public record ClaimResult(String claim, String evidence, boolean held, double seconds, String detail, List<String> pictures) {
  public ClaimResult {
    pictures = List.copyOf(pictures);
  }
}
