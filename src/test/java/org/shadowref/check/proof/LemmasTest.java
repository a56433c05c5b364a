package org.shadowref.check.proof;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * One test per lemma: Z3 proves it of the code, refutes each broken variant with a
 * counterexample, and the lemma's page in proofs/ is what a fresh run renders.
 */
class LemmasTest {
  @Test
  void propagationNeverAmplifies() {
    check(new NoAmplification(), 1);
  }

  @Test
  void magicEntriesAreDisjointAndFaultWithRsvd() {
    check(new MagicDisjoint(), 2);
  }

  @Test
  void mmioEncodingRoundTrips() {
    check(new MmioRoundTrip(), 3);
  }

  @Test
  void fastPathFixUpGivesTheNativeErrorCode() {
    check(new FastPathErrorCode(), 4);
  }

  @Test
  void reservedBitMasksMatchTheSdm() {
    check(new ReservedBitsMatchSdm(), 5);
  }

  @Test
  void propagationEqualsItsSpecification() {
    check(new PropagationMatchesSpec(), 6);
  }

  @Test
  void theProverListsTheLemmasInPageOrder() {
    assertEquals(
        java.util.List.of(
            "no-amplification",
            "magic-disjoint",
            "mmio-roundtrip",
            "fast-path-error-code",
            "reserved-bits",
            "propagation-spec"),
        Prover.lemmas().stream().map(Lemma::id).collect(java.util.stream.Collectors.toList()));
  }

  private static void check(Lemma<?> lemma, int number) {
    LemmaReport report = Prover.run(lemma);
    for (ClaimAnswer claim : report.code().claims()) {
      assertEquals(
          Status.PROVED,
          claim.status(),
          lemma.id() + ": claim \"" + claim.claim() + "\" " + claim.counterexample());
    }
    assertFalse(report.code().claims().isEmpty(), lemma.id() + " has no claims");
    assertFalse(report.variants().isEmpty(), lemma.id() + " has no broken variants");
    for (LemmaReport.VariantReport variant : report.variants()) {
      ClaimAnswer refuted = variant.verdict().firstRefuted();
      assertNotNull(refuted, lemma.id() + ": broken variant not refuted: " + variant.description());
      assertTrue(
          refuted.counterexample().contains("="),
          lemma.id() + ": no counterexample for " + variant.description());
    }
    assertPageIsCurrent(report, number);
  }

  /** Times and counterexample values vary between runs; everything else must match. */
  private static String stable(String page) {
    return page.replaceAll("\\d+ ms", "N ms").replaceAll("(?m)^    \\S.*$", "    COUNTEREXAMPLE");
  }

  private static void assertPageIsCurrent(LemmaReport report, int number) {
    Path page = Path.of("proofs", ProofPage.fileName(report.lemma()));
    String onDisk;
    try {
      onDisk = Files.readString(page, StandardCharsets.UTF_8);
    } catch (IOException e) {
      fail(page + " is missing: run ./shadowref prove --write-pages");
      return;
    }
    assertEquals(
        stable(ProofPage.render(report, number)),
        stable(onDisk),
        page + " is out of date: run ./shadowref prove --write-pages");
  }
}
