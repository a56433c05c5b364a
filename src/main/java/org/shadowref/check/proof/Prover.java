package org.shadowref.check.proof;

import java.util.ArrayList;
import java.util.List;

/** Runs lemmas: each against the code, then against each of its broken variants. */
public final class Prover {
  private Prover() {}

  /** Every lemma, in the order proofs/ presents them. */
  public static List<Lemma<?>> lemmas() {
    return List.of(
        new NoAmplification(),
        new MagicDisjoint(),
        new MmioRoundTrip(),
        new FastPathErrorCode(),
        new ReservedBitsMatchSdm(),
        new PropagationMatchesSpec());
  }

  public static <S> LemmaReport run(Lemma<S> lemma) {
    Verdict code = lemma.check(lemma.code());
    List<LemmaReport.VariantReport> variants = new ArrayList<>();
    for (Variant<S> variant : lemma.brokenVariants()) {
      variants.add(
          new LemmaReport.VariantReport(variant.description(), lemma.check(variant.subject())));
    }
    return new LemmaReport(lemma, code, variants);
  }
}
