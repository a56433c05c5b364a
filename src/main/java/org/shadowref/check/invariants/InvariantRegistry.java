package org.shadowref.check.invariants;

import java.util.ArrayList;
import java.util.List;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.shadow.invariant.ShadowView;

/** The one map from invariant id to predicate. */
public final class InvariantRegistry {
  private static final InvariantPredicate[] PREDICATES = {
    new NoAmplify(), new Isolation(), new WriteProtect(), new Coherent(), new ShadowStructure(),
    new Magic(), new OutOfSync(), new P2mCoherent(), new LogDirty()
  };

  private InvariantRegistry() {}

  /** The predicate for {@code id}, or null when there is none. */
  public static @Nullable InvariantPredicate forId(String id) {
    for (InvariantPredicate predicate : PREDICATES) {
      if (predicate.id().equals(id)) {
        return predicate;
      }
    }
    return null;
  }

  /** Every violation, one line per invariant that fails ({@code ID: what}); empty when all hold. */
  public static List<String> violations(ShadowView view) {
    return violations(ShadowScan.of(view));
  }

  /** {@link #violations(ShadowView)} judged on one reading of the engine. */
  public static List<String> violations(ShadowScan scan) {
    List<String> out = new ArrayList<>();
    for (InvariantPredicate predicate : PREDICATES) {
      String violation = predicate.violation(scan);
      if (violation != null) {
        out.add(predicate.id() + ": " + violation);
      }
    }
    return out;
  }
}
