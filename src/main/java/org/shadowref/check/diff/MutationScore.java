package org.shadowref.check.diff;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.check.emulation.EmulationCheck;
import org.shadowref.check.gen.GeneratedCase;
import org.shadowref.check.gen.Guests;
import org.shadowref.emulate.X86Emulator;
import org.shadowref.shadow.core.SeededBug;
import org.shadowref.shadow.reference.ReferenceEngine;

/**
 * The power of the differential properties, measured: each seeded bug is switched on in turn and
 * generated cases are tried until a property fails (the mutant is killed) or the budget runs out
 * (it survives). Each kill is shrunk and written as a trace. The seeded bugs are the reference
 * engine's {@link SeededBug}s (run beside native), the optimized engine's {@link
 * SeededBug}s (run beside native with every technique on) and the emulator's {@link X86Emulator.Bug}s
 * (first against the SDM executor on random instructions, as EmulationCheck does, then as the
 * reference engine's emulator for page-table stores, beside native).
 */
public final class MutationScore {
  /** One mutant's fate. */
  public record Row(String mutant, boolean killed, String property, int tries, double seconds, int shrunkOps,
      @Nullable Path trace) {}

  /** The settings proofs/mutants.md is generated with (MutantsTest regenerates it with these). */
  public static final long DEFAULT_SEED = 6;
  public static final int DEFAULT_TRIES = 1_000;
  public static final int DEFAULT_OPS = 40;

  /**
   * Seeded bugs the generated cases do not reach yet, each with the boundary they miss: the
   * mutation table shows them as survivors with this reason, and the mutants claim names them.
   * A survivor not listed here fails the claim; each entry goes when its bug is killed, and
   * MutantsTest fails if this map and the table disagree (issue 16: the list must end empty).
   */
  public static final Map<String, String> KNOWN_GAPS = Map.of();

  /** The property the emulator-vs-SDM comparison checks (EmulationCheck). */
  public static final String EMULATOR_AGREES_WITH_SDM = "emulator-agrees-with-sdm";
  /** Random instructions an emulator bug is tried on, per differential case of the budget. */
  private static final int INSTRUCTIONS_PER_TRY = 40;

  /**
   * One seeded bug: its name in the table, native beside the engine that carries it, the same
   * platforms without the bug, its trace's name, and for an emulator bug the buggy emulator
   * (judged against the SDM executor first).
   */
  private record Seeded(String name, PlatformSet platforms, PlatformSet clean, String traceName,
      @Nullable X86Emulator emulator) {
    Seeded(String name, PlatformSet platforms, PlatformSet clean, String traceName) {
      this(name, platforms, clean, traceName, null);
    }
  }

  /** Hears which mutant runs now. */
  public interface Listener {
    Listener NONE = (mutant, index, count) -> {};

    void running(String mutant, int index, int count);
  }

  private MutationScore() {}

  /**
   * Runs every mutant with at most {@code maxTries} cases of up to {@code maxOps} operations,
   * case {@code i} drawn from seed {@code seed + i}, so each row is reproducible; a mutant that
   * survives them is then tried on {@code fixedCases} (the example scenarios {@code check} runs:
   * each aims at one boundary, some of which random guests reach only rarely). A kill past
   * {@code maxTries} tries is an example's: the generators alone missed that bug.
   */
  public static List<Row> run(long seed, int maxTries, int maxOps, Path traceDirectory, Listener listener,
      List<GeneratedCase> fixedCases) throws IOException {
    List<Row> rows = new ArrayList<>();
    List<Seeded> mutants = new ArrayList<>();
    for (SeededBug bug : SeededBug.ofReference()) {
      mutants.add(new Seeded("reference:" + bug.name(), StandardPlatforms.withReferenceBug(bug),
          StandardPlatforms.withReferenceBug(null), "mutant-" + bug.name()));
    }
    for (SeededBug bug : SeededBug.ofOptimized()) {
      if (bug.needsOutOfSync()) {
        continue; // judged against native with a TLB, not exactly: OutOfSyncPropertyTest
      }
      mutants.add(new Seeded("optimized:" + bug.name(), StandardPlatforms.withOptimizedBug(bug),
          StandardPlatforms.withOptimizedBug(null), "bug-optimized-" + bug.name()));
    }
    for (X86Emulator.Bug bug : X86Emulator.Bug.values()) {
      mutants.add(new Seeded("emulator:" + bug.name(), StandardPlatforms.withEmulatorBug(bug),
          StandardPlatforms.withReferenceBug(null), "mutant-emulator-" + bug.name(), new X86Emulator(bug)));
    }
    for (int i = 0; i < mutants.size(); i++) {
      Seeded mutant = mutants.get(i);
      listener.running(mutant.name(), i, mutants.size());
      X86Emulator emulator = mutant.emulator();
      Row row = emulator == null ? null : runAgainstSdm(mutant.name(), emulator, seed, maxTries * INSTRUCTIONS_PER_TRY);
      rows.add(row != null ? row
          : runOne(mutant.name(), mutant.platforms(), mutant.clean(), mutant.traceName(), seed, maxTries, maxOps,
              traceDirectory, fixedCases));
    }
    return rows;
  }

  /**
   * Compares {@code emulator} with the SDM executor on up to {@code instructions} random
   * instructions (instruction i from seed {@code seed + i}): the row of its kill (one
   * instruction, no trace: {@code ./shadowref emulate-check} replays the seed), or null.
   */
  private static @Nullable Row runAgainstSdm(String name, X86Emulator emulator, long seed, int instructions) {
    long start = System.nanoTime();
    for (int tries = 1; tries <= instructions; tries++) {
      if (EmulationCheck.compare(seed + tries, emulator) != null) {
        return new Row(name, true, EMULATOR_AGREES_WITH_SDM, tries, (System.nanoTime() - start) / 1e9, 1, null);
      }
    }
    return null;
  }

  /**
   * Runs one mutant, {@code platforms} being native beside the engine that carries it and {@code
   * clean} the same without the mutation, on the generated cases and then on {@code fixedCases}
   * (tries {@code maxTries + 1} on). A case the clean platforms fail too kills nothing: it is a
   * bug of the engine (or the oracle) itself, and counting it once let one such case "kill" every
   * mutant at the same try.
   */
  public static Row runOne(String name, PlatformSet platforms, PlatformSet clean, String traceName, long seed,
      int maxTries, int maxOps, Path traceDirectory, List<GeneratedCase> fixedCases) throws IOException {
    long start = System.nanoTime();
    for (int tries = 1; tries <= fixedCases.size() + maxTries; tries++) {
      GeneratedCase generated;
      if (tries <= maxTries) {
        Random random = new Random(seed + tries);
        generated = Guests.generate(random, 1 + random.nextInt(maxOps), null);
      } else {
        generated = fixedCases.get(tries - maxTries - 1);
      }
      Differential.Failure failure = Differential.check(platforms, generated.world(), generated.ops());
      if (failure != null && Differential.check(clean, generated.world(), generated.ops()) == null) {
        double seconds = (System.nanoTime() - start) / 1e9;
        Differential.Shrunk shrunk = Differential.shrinkAndWrite(platforms, generated, failure, traceDirectory,
            traceName, "mutants --seed " + seed, "bug=" + name);
        return new Row(name, true, failure.property(), tries, seconds, shrunk.minimal().ops().size(), shrunk.trace());
      }
    }
    return new Row(name, false, "-", fixedCases.size() + maxTries, (System.nanoTime() - start) / 1e9, 0, null);
  }

  /** The table as Markdown; {@code withSeconds} false leaves out the one column that varies by machine. */
  public static String markdown(List<Row> rows, boolean withSeconds) {
    StringBuilder out = new StringBuilder();
    out.append("| mutant | killed | by property | tries | shrunk to (ops) |").append(withSeconds ? " seconds |" : "")
        .append(" why it survives |\n");
    out.append("|---|---|---|---|---|").append(withSeconds ? "---|" : "").append("---|\n");
    for (Row row : rows) {
      out.append("| ").append(row.mutant()).append(" | ").append(row.killed() ? "yes" : "NO").append(" | ")
          .append(row.property()).append(" | ").append(row.tries()).append(" | ").append(row.shrunkOps()).append(" |");
      if (withSeconds) {
        out.append(String.format(Locale.ROOT, " %.2f |", row.seconds()));
      }
      String gap = KNOWN_GAPS.get(row.mutant());
      out.append(' ').append(row.killed() ? "" : gap == null ? "(not known)" : gap).append(" |\n");
    }
    return out.toString();
  }
}
