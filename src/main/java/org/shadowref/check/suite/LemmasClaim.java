package org.shadowref.check.suite;

import java.util.List;
import java.util.Locale;
import org.shadowref.check.proof.Lemma;
import org.shadowref.check.proof.LemmaReport;
import org.shadowref.check.proof.Prover;

/** The entry encodings have their properties for all inputs, and the proofs can fail. */
public final class LemmasClaim implements ClaimCheck {
  @Override
  public String claim() {
    return "the entry encodings are correct for all 2^64 entries (Z3)";
  }

  @Override
  public ClaimResult run(Preset preset, Progress progress) {
    long start = System.nanoTime();
    List<Lemma<?>> lemmas = Prover.lemmas();
    int proved = 0;
    int variants = 0;
    int refuted = 0;
    StringBuilder failures = new StringBuilder();
    for (int i = 0; i < lemmas.size(); i++) {
      progress.update("lemma " + (i + 1) + "/" + lemmas.size(), i / (double) lemmas.size());
      LemmaReport report = Prover.run(lemmas.get(i));
      proved += report.proved() ? 1 : 0;
      variants += report.variants().size();
      refuted += report.variantsRefuted();
      if (!report.ok()) {
        failures.append(failures.length() == 0 ? "" : "; ").append(lemmas.get(i).getClass().getSimpleName());
      }
    }
    String evidence = String.format(Locale.ROOT,
        "%d lemmas over the code itself (bit-vector algebra), %d broken variants that must be refuted",
        lemmas.size(), variants);
    String detail = String.format(Locale.ROOT, "%d/%d proved, %d/%d broken variants refuted%s", proved, lemmas.size(),
        refuted, variants, failures.length() == 0 ? "" : "; failing: " + failures);
    boolean held = proved == lemmas.size() && refuted == variants;
    return new ClaimResult(claim(), evidence, held, NativeOracleClaim.seconds(start), detail, List.of());
  }
}
