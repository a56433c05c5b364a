package org.shadowref.check.suite;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.check.diff.OutOfSyncRuns;
import org.shadowref.shadow.core.SeededBug;

/**
 * With out-of-sync shadows (the optimized engine's PRODUCTION configuration) the guest sees only
 * what a CPU with a TLB may show (what OutOfSyncPropertyTest checks): generated guests and busy
 * tables, judged step by step against native with an architectural TLB. The judge has teeth:
 * every out-of-sync seeded bug it is given is caught, and some access must have been served from
 * a stale translation (else nothing was judged).
 */
public final class OutOfSyncClaim implements ClaimCheck {
  /** Generated cases and busy tables at the standard preset (scaled by the preset). */
  private static final int BASE_GENERATED = 80;
  private static final int BASE_BUSY_TABLES = 40;
  /** Operations per generated case. */
  private static final int OPS = 60;
  /** Busy tables tried per out-of-sync mutant before it survives. */
  private static final int MUTANT_BUDGET = 150;
  private static final long SEED = 1;

  @Override
  public String claim() {
    return "out-of-sync shadows show the guest only what a TLB may show";
  }

  @Override
  public ClaimResult run(Preset preset, Progress progress) {
    long start = System.nanoTime();
    int generated = (int) preset.scaled(BASE_GENERATED);
    int busy = (int) preset.scaled(BASE_BUSY_TABLES);
    OutOfSyncRuns.Exercised exercised = new OutOfSyncRuns.Exercised();
    List<String> failures = new ArrayList<>();
    for (int i = 0; i < generated && failures.isEmpty(); i++) {
      String complaint = OutOfSyncRuns.generated(SEED + i, OPS, null, exercised);
      if (complaint != null) {
        failures.add("generated case seed " + (SEED + i) + ": " + complaint);
      }
      progress.update("generated guest " + i, 0.5 * i / generated);
    }
    for (int i = 0; i < busy && failures.isEmpty(); i++) {
      String complaint = OutOfSyncRuns.busyTable(SEED + i, null, exercised);
      if (complaint != null) {
        failures.add("busy table seed " + (SEED + i) + ": " + complaint);
      }
      progress.update("busy table " + i, 0.5 + 0.3 * i / busy);
    }
    if (exercised.staleUses() == 0) {
      failures.add("vacuous: no access was ever served from a stale translation");
    }
    List<String> survivors = new ArrayList<>();
    List<SeededBug> mutants = new ArrayList<>();
    for (SeededBug mutant : SeededBug.values()) {
      if (mutant.needsOutOfSync()) {
        mutants.add(mutant);
      }
    }
    int mostTries = 0;
    for (int m = 0; m < mutants.size(); m++) {
      progress.update(mutants.get(m).name(), 0.8 + 0.2 * m / mutants.size());
      int tries = triesToCatch(mutants.get(m));
      if (tries < 0) {
        survivors.add(mutants.get(m).name());
      }
      mostTries = Math.max(mostTries, tries);
    }
    if (!survivors.isEmpty()) {
      failures.add("out-of-sync seeded bugs not caught in " + MUTANT_BUDGET + " busy tables and generated cases: "
          + String.join(", ", survivors));
    }
    String evidence = String.format(Locale.ROOT,
        "%d generated guests and %d busy tables, %,d steps (%,d with a table out of sync), %,d accesses served "
            + "stale; %d of %d out-of-sync seeded bugs caught (the slowest in %d tries)",
        generated, busy, exercised.steps(), exercised.unsyncedSteps(), exercised.staleUses(),
        mutants.size() - survivors.size(), mutants.size(), mostTries);
    String detail = failures.isEmpty() ? "every outcome one native with a TLB could give" : String.join("; ", failures);
    return new ClaimResult(claim(), evidence, failures.isEmpty(), NativeOracleClaim.seconds(start), detail, List.of());
  }

  /** The tries (a busy table and a generated case each) until {@code mutant} is caught, or -1. */
  private static int triesToCatch(SeededBug mutant) {
    for (int tries = 1; tries <= MUTANT_BUDGET; tries++) {
      @Nullable String found = OutOfSyncRuns.busyTable(SEED + tries, mutant, new OutOfSyncRuns.Exercised());
      if (found == null) {
        found = OutOfSyncRuns.generated(SEED + tries, OPS, mutant, new OutOfSyncRuns.Exercised());
      }
      if (found != null) {
        return tries;
      }
    }
    return -1;
  }
}
