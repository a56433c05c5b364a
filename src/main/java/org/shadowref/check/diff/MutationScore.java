package org.shadowref.check.diff;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.check.gen.GeneratedCase;
import org.shadowref.check.gen.Guests;
import org.shadowref.shadow.reference.ReferenceEngine;

/**
 * The power of the differential properties, measured: each seeded bug is switched on in turn and
 * generated cases are tried until a property fails (the mutant is killed) or the budget runs out
 * (it survives). Each kill is shrunk and written as a trace. The seeded bugs are the reference
 * engine's {@link ReferenceEngine.Bug}s until the optimized engine's catalogue joins them.
 */
public final class MutationScore {
  /** One mutant's fate. */
  public record Row(String mutant, boolean killed, String property, int tries, double seconds, int shrunkOps,
      @Nullable Path trace) {}

  /** The settings proofs/mutants.md is generated with (MutantsTest regenerates it with these). */
  public static final long DEFAULT_SEED = 6;
  public static final int DEFAULT_TRIES = 300;
  public static final int DEFAULT_OPS = 40;

  /** Hears which mutant runs now. */
  public interface Listener {
    Listener NONE = (mutant, index, count) -> {};

    void running(String mutant, int index, int count);
  }

  private MutationScore() {}

  /**
   * Runs every mutant with at most {@code maxTries} cases of up to {@code maxOps} operations,
   * case {@code i} drawn from seed {@code seed + i}, so each row is reproducible.
   */
  public static List<Row> run(long seed, int maxTries, int maxOps, Path traceDirectory, Listener listener)
      throws IOException {
    List<Row> rows = new ArrayList<>();
    ReferenceEngine.Bug[] bugs = ReferenceEngine.Bug.values();
    for (int i = 0; i < bugs.length; i++) {
      listener.running("reference:" + bugs[i].name(), i, bugs.length);
      rows.add(runOne(bugs[i], seed, maxTries, maxOps, traceDirectory));
    }
    return rows;
  }

  private static Row runOne(ReferenceEngine.Bug bug, long seed, int maxTries, int maxOps, Path traceDirectory)
      throws IOException {
    PlatformSet platforms = StandardPlatforms.withReferenceBug(bug);
    String name = "reference:" + bug.name();
    long start = System.nanoTime();
    for (int tries = 1; tries <= maxTries; tries++) {
      Random random = new Random(seed + tries);
      GeneratedCase generated = Guests.generate(random, 1 + random.nextInt(maxOps), null);
      Differential.Failure failure = Differential.check(platforms, generated.world(), generated.ops());
      if (failure != null) {
        double seconds = (System.nanoTime() - start) / 1e9;
        Differential.Shrunk shrunk = Differential.shrinkAndWrite(platforms, generated, failure, traceDirectory,
            "mutant-" + bug.name(), "mutants --seed " + seed);
        return new Row(name, true, failure.property(), tries, seconds, shrunk.minimal().ops().size(), shrunk.trace());
      }
    }
    return new Row(name, false, "-", maxTries, (System.nanoTime() - start) / 1e9, 0, null);
  }

  /** The table as Markdown; {@code withSeconds} false leaves out the one column that varies by machine. */
  public static String markdown(List<Row> rows, boolean withSeconds) {
    StringBuilder out = new StringBuilder();
    out.append("| mutant | killed | by property | tries | shrunk to (ops) |").append(withSeconds ? " seconds |" : "")
        .append('\n');
    out.append("|---|---|---|---|---|").append(withSeconds ? "---|" : "").append('\n');
    for (Row row : rows) {
      out.append("| ").append(row.mutant()).append(" | ").append(row.killed() ? "yes" : "NO").append(" | ")
          .append(row.property()).append(" | ").append(row.tries()).append(" | ").append(row.shrunkOps()).append(" |");
      if (withSeconds) {
        out.append(String.format(Locale.ROOT, " %.2f |", row.seconds()));
      }
      out.append('\n');
    }
    return out.toString();
  }
}
