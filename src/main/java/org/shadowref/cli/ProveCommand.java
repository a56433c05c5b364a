package org.shadowref.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.shadowref.check.proof.ClaimAnswer;
import org.shadowref.check.proof.Lemma;
import org.shadowref.check.proof.LemmaReport;
import org.shadowref.check.proof.ProofPage;
import org.shadowref.check.proof.Prover;
import org.shadowref.check.proof.Status;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ./shadowref prove}: runs the Z3 lemmas about the entry encodings. */
@Command(
    name = "prove",
    mixinStandardHelpOptions = true,
    description = {
      "Proves the lemmas about the entry encodings with Z3 and refutes their broken variants.",
      "Exit 1 when a lemma is not proved or a broken variant is not refuted."
    })
public final class ProveCommand extends SummaryCommand {
  @Option(
      names = "--write-pages",
      description = "Write one Markdown page per lemma into --pages-dir.")
  boolean writePages;

  @Option(
      names = "--pages-dir",
      paramLabel = "DIR",
      description = "Where --write-pages writes (default: ${DEFAULT-VALUE}).")
  Path pagesDir = Path.of("proofs");

  @Override
  protected void run(PrintWriter out, Summary summary) throws IOException {
    if (writePages && !Files.isDirectory(pagesDir)) {
      throw new UserInputException("--pages-dir " + pagesDir + " is not a directory");
    }
    List<Lemma<?>> lemmas = Prover.lemmas();
    out.println(ProofPage.z3Version());
    out.printf("%-22s %-8s %7s %9s  %s%n", "lemma", "result", "claims", "time", "broken variants refuted");
    int proved = 0;
    int refuted = 0;
    int variants = 0;
    int variantsRefuted = 0;
    int number = 0;
    StringBuilder details = new StringBuilder();
    for (Lemma<?> lemma : lemmas) {
      number++;
      LemmaReport report = Prover.run(lemma);
      out.printf(
          "%-22s %-8s %7s %6d ms  %d/%d%n",
          lemma.id(),
          report.code().status().label(),
          provedClaims(report) + "/" + report.code().claims().size(),
          report.code().millis(),
          report.variantsRefuted(),
          report.variants().size());
      out.flush();
      proved += report.proved() ? 1 : 0;
      refuted += report.code().firstRefuted() != null ? 1 : 0;
      variants += report.variants().size();
      variantsRefuted += report.variantsRefuted();
      describe(report, details);
      if (writePages) {
        Files.writeString(
            pagesDir.resolve(ProofPage.fileName(lemma)),
            ProofPage.render(report, number),
            StandardCharsets.UTF_8);
      }
    }
    out.print(details);
    summary.put("lemmas", lemmas.size());
    summary.put("proved", proved);
    summary.put("refuted", refuted);
    summary.put("broken", variants);
    summary.put("broken_refuted", variantsRefuted);
    summary.failIf(proved != lemmas.size() || variantsRefuted != variants);
  }

  private static int provedClaims(LemmaReport report) {
    int proved = 0;
    for (ClaimAnswer claim : report.code().claims()) {
      if (claim.status() == Status.PROVED) {
        proved++;
      }
    }
    return proved;
  }

  /** The counterexamples: for a refuted lemma, and for each broken variant. */
  private static void describe(LemmaReport report, StringBuilder out) {
    String id = report.lemma().id();
    ClaimAnswer failed = report.code().firstRefuted();
    if (failed != null) {
      out.append(id).append(": NOT PROVED, claim \"").append(failed.claim()).append("\": ")
          .append(failed.counterexample()).append('\n');
    }
    for (LemmaReport.VariantReport variant : report.variants()) {
      ClaimAnswer refuted = variant.verdict().firstRefuted();
      out.append(id).append(" broken \"").append(variant.description()).append("\": ");
      if (refuted == null) {
        out.append("NOT REFUTED (").append(variant.verdict().status().label()).append(")\n");
      } else {
        out.append("refuted, ").append(refuted.counterexample()).append('\n');
      }
    }
  }
}
