package org.shadowref.cli;

import java.io.PrintWriter;
import org.shadowref.check.emulation.EmulationCheck;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./shadowref emulate-check}: N random instructions of the emulated subset through the
 * hypervisor's emulator and the independent SDM oracle, and N random byte strings through the
 * emulator's decoder; every disagreement and every exception is printed.
 */
@Command(
    name = "emulate-check",
    mixinStandardHelpOptions = true,
    description = {
      "Runs random instructions through the emulator and the independent oracle and compares them,",
      "and random byte strings through the emulator. Exit 1 on any mismatch or exception."
    })
public final class EmulateCheckCommand extends SummaryCommand {
  /** About five hours at the measured ~5,000 inputs per second: a larger count is a typo, not a plan. */
  static final long MAX_COUNT = 100_000_000L;

  @Option(names = "--count", paramLabel = "N", required = true,
      description = "Instructions (and byte strings) to try, at most 100,000,000; progress and ETA go to standard error.")
  long count;

  @Option(names = "--seed", paramLabel = "S", description = "First seed; case i uses seed S + i (default: ${DEFAULT-VALUE}).")
  long seed = 1;

  @Override
  protected void run(PrintWriter out, Summary summary) {
    if (count < 1) {
      throw new UserInputException("--count must be at least 1, got " + count);
    }
    if (count > MAX_COUNT) {
      throw new UserInputException("--count " + count + " is above the maximum " + MAX_COUNT
          + " (about five hours); split the range with --seed");
    }
    ProgressBar bar = new ProgressBar(spec.commandLine().getErr(), "emulate-check", System.console() != null);
    long start = System.nanoTime();
    long mismatches = 0;
    long exceptions = 0;
    for (long i = 0; i < count; i++) {
      if ((i & 1023) == 0) {
        bar.update(ProgressBar.rate(i, count, start, "inputs"), i / (double) count);
      }
      for (int kind = 0; kind < 2; kind++) {
        long caseSeed = seed + i;
        String problem;
        try {
          problem = kind == 0 ? EmulationCheck.compare(caseSeed) : EmulationCheck.fuzz(caseSeed);
        } catch (RuntimeException e) {
          exceptions++;
          out.println((kind == 0 ? "compare" : "fuzz") + " seed " + caseSeed + ": exception " + e);
          continue;
        }
        if (problem != null) {
          mismatches++;
          out.println((kind == 0 ? "mismatch " : "fuzz ") + problem);
        }
      }
    }
    bar.finish();
    summary.put("inputs", count).put("mismatches", mismatches).put("exceptions", exceptions);
    summary.failIf(mismatches > 0 || exceptions > 0);
  }
}
