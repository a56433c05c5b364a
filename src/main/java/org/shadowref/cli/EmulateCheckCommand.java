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
  @Option(names = "--count", paramLabel = "N", required = true, description = "Instructions (and byte strings) to try.")
  long count;

  @Option(names = "--seed", paramLabel = "S", description = "First seed; case i uses seed S + i (default: ${DEFAULT-VALUE}).")
  long seed = 1;

  @Override
  protected void run(PrintWriter out, Summary summary) {
    if (count < 1) {
      throw new UserInputException("--count must be at least 1, got " + count);
    }
    long mismatches = 0;
    long exceptions = 0;
    for (long i = 0; i < count; i++) {
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
    summary.put("inputs", count).put("mismatches", mismatches).put("exceptions", exceptions);
    summary.failIf(mismatches > 0 || exceptions > 0);
  }
}
