package org.shadowref.check.invariants;

import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.shadow.invariant.ShadowView;

/** One invariant as an executable check over the whole machine. */
public interface InvariantPredicate {
  /** The id from {@link org.shadowref.shadow.invariant.InvariantIds}. */
  String id();

  /** The first violation found, described for a reader, or null when the invariant holds. */
  default @Nullable String violation(ShadowView view) {
    return violation(ShadowScan.of(view));
  }

  /** The same, judged on {@code scan}'s reading of the engine (the registry shares one scan). */
  @Nullable String violation(ShadowScan scan);
}
