package org.shadowref.check.suite;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.shadowref.check.diff.MutationScore;

/**
 * The differential properties have teeth: every seeded shadow-paging bug is killed by them within
 * the preset's budget of generated cases, but the known gaps of the generators ({@link
 * MutationScore#KNOWN_GAPS}), which the evidence names. A survivor that is not a known gap fails.
 */
public final class MutantsClaim implements ClaimCheck {
  private final Path traces;
  private final Path examples;

  /** Killing traces go under {@code traces}; the scenarios of {@code examples} are tried first. */
  public MutantsClaim(Path traces, Path examples) {
    this.traces = traces;
    this.examples = examples;
  }

  @Override
  public String claim() {
    return "the differential properties kill every seeded bug but the known gaps";
  }

  @Override
  public ClaimResult run(Preset preset, Progress progress) {
    long start = System.nanoTime();
    // Never below the budget the mutation table is published with: a quick check must not let a mutant survive.
    int tries = (int) Math.max(MutationScore.DEFAULT_TRIES, preset.scaled(MutationScore.DEFAULT_TRIES));
    List<MutationScore.Row> rows;
    try {
      rows = MutationScore.run(MutationScore.DEFAULT_SEED, tries, MutationScore.DEFAULT_OPS, traces,
          (mutant, index, count) -> progress.update(mutant, index / (double) count), ExamplesClaim.asCases(examples));
    } catch (IOException e) {
      return new ClaimResult(claim(), "mutation table", false, NativeOracleClaim.seconds(start),
          "cannot write a killing trace: " + e.getMessage(), List.of());
    }
    List<String> survivors = new ArrayList<>();
    List<String> knownGaps = new ArrayList<>();
    int mostTries = 0;
    for (MutationScore.Row row : rows) {
      if (!row.killed()) {
        (MutationScore.KNOWN_GAPS.containsKey(row.mutant()) ? knownGaps : survivors).add(row.mutant());
      }
      mostTries = Math.max(mostTries, row.killed() ? row.tries() : 0);
    }
    String evidence = String.format(Locale.ROOT,
        "%d of %d mutants killed (budget %d cases each; the slowest kill took %d); %d known gaps survive: %s",
        rows.size() - survivors.size() - knownGaps.size(), rows.size(), tries, mostTries, knownGaps.size(),
        knownGaps.isEmpty() ? "none" : String.join(", ", knownGaps));
    String detail = survivors.isEmpty() ? "table and the gaps' reasons: proofs/mutants.md"
        : "survivors that are no known gap: " + String.join(", ", survivors);
    return new ClaimResult(claim(), evidence, survivors.isEmpty() && !rows.isEmpty(), NativeOracleClaim.seconds(start),
        detail, List.of());
  }
}
