package org.shadowref.check.suite;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.shadowref.check.emulation.EmulationCheck;

/**
 * The hypervisor's emulator does what the SDM executor does (what {@code shadowref emulate-check}
 * and EmulationCheckTest check): on random instructions of its subset, with random prefixes,
 * operands, registers and guests, every observable agrees; on random byte strings, a refusal
 * changes nothing.
 */
public final class EmulatorClaim implements ClaimCheck {
  /** Instructions compared (and byte strings fuzzed) at the standard preset. */
  private static final int BASE_CASES = 2000;
  /** The first seed: fixed, so a check is reproducible (case i uses seed + i). */
  private static final long SEED = 1;

  @Override
  public String claim() {
    return "the emulator agrees with the SDM executor on random instructions";
  }

  @Override
  public ClaimResult run(Preset preset, Progress progress) {
    long start = System.nanoTime();
    int cases = (int) preset.scaled(BASE_CASES);
    List<String> problems = new ArrayList<>();
    for (int i = 0; i < cases; i++) {
      long seed = SEED + i;
      for (int kind = 0; kind < 2; kind++) {
        String problem;
        try {
          problem = kind == 0 ? EmulationCheck.compare(seed) : EmulationCheck.fuzz(seed);
        } catch (RuntimeException e) {
          problem = (kind == 0 ? "compare" : "fuzz") + " seed " + seed + ": exception " + e;
        }
        if (problem != null) {
          problems.add(problem.lines().findFirst().orElse(problem));
        }
      }
      if (i % 256 == 0) {
        progress.update(i + " instructions", i / (double) cases);
      }
    }
    String evidence = String.format(Locale.ROOT,
        "seeds %d..%d: %,d random instructions on both executors, %,d random byte strings fuzzed",
        SEED, SEED + cases - 1, cases, cases);
    String detail = problems.isEmpty() ? "0 mismatches"
        : problems.size() + " mismatches; first: " + problems.get(0) + " (./shadowref emulate-check --seed S --count 1)";
    return new ClaimResult(claim(), evidence, problems.isEmpty(), NativeOracleClaim.seconds(start), detail, List.of());
  }
}
