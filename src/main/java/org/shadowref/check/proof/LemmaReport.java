package org.shadowref.check.proof;

import java.util.List;

/** A lemma's verdict on the code and on each of its broken variants. */
public record LemmaReport(Lemma<?> lemma, Verdict code, List<VariantReport> variants) {
  /** A broken variant and what Z3 said about it. */
  public record VariantReport(String description, Verdict verdict) {
    public boolean refuted() {
      return verdict.status() == Status.REFUTED;
    }
  }

  public boolean proved() {
    return code.status() == Status.PROVED;
  }

  public int variantsRefuted() {
    int refuted = 0;
    for (VariantReport variant : variants) {
      if (variant.refuted()) {
        refuted++;
      }
    }
    return refuted;
  }

  /** The lemma holds of the code and every broken variant is caught. */
  public boolean ok() {
    return proved() && variantsRefuted() == variants.size();
  }
}
