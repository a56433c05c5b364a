package org.shadowref.check.proof;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.shadowref.arch.bits.BitAlgebra;

/** The claim machinery on a toy lemma: proved, refuted with a model, vacuous assumptions caught. */
class LemmaMachineryTest {
  /** "f(x) has bit 0 clear", for x below a bound; the subject is f. */
  private static final class BitZeroClear extends Lemma<BitZeroClear.F> {
    interface F {
      long apply(BitAlgebra b, long x);
    }

    private final long bound;

    BitZeroClear(long bound) {
      this.bound = bound;
    }

    @Override
    public String id() {
      return "toy";
    }

    @Override
    public String title() {
      return "toy";
    }

    @Override
    public String statement() {
      return "toy";
    }

    @Override
    public String whyItMatters() {
      return "toy";
    }

    @Override
    public List<String> codeProved() {
      return List.of();
    }

    @Override
    public F code() {
      return (b, x) -> b.shiftLeft(x, 1);
    }

    @Override
    public List<Variant<F>> brokenVariants() {
      return List.of(new Variant<>("identity", (b, x) -> x));
    }

    @Override
    protected List<Claim> claims(Z3Bits z3, F f) {
      long x = z3.variable("x");
      long y = f.apply(z3, x);
      return List.of(
          new Claim(
              "bit 0 clear",
              z3.below(x, bound),
              z3.holds(z3.isZero(z3.masked(y, 1))),
              List.of(Shown.hex("x", z3, x), Shown.hex("f(x)", z3, y))));
    }
  }

  @Test
  void aTrueClaimIsProvedAndAFalseOneRefutedWithItsModel() {
    BitZeroClear lemma = new BitZeroClear(100);
    assertEquals(Status.PROVED, lemma.check(lemma.code()).status());
    Verdict broken = lemma.check(lemma.brokenVariants().get(0).subject());
    assertEquals(Status.REFUTED, broken.status());
    String counterexample = broken.claims().get(0).counterexample();
    assertTrue(counterexample.matches("x=0x[0-9a-f]+ f\\(x\\)=0x[0-9a-f]+"), counterexample);
    long x = Long.parseLong(counterexample.replaceAll("x=0x([0-9a-f]+) .*", "$1"), 16);
    assertEquals(1, x & 1, "the model must really break the claim: " + counterexample);
  }

  @Test
  void assumptionsNothingSatisfiesMakeTheClaimVacuousNotProved() {
    BitZeroClear lemma = new BitZeroClear(0); // x < 0 unsigned: no such x
    Verdict verdict = lemma.check(lemma.brokenVariants().get(0).subject());
    assertEquals(Status.VACUOUS, verdict.status());
  }
}
