package org.shadowref.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.arch.PagingMode;
import org.shadowref.check.diff.Campaign;
import org.shadowref.check.diff.Differential;
import org.shadowref.check.diff.StandardPlatforms;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code shadowref diff --seed S --ops N}: a long differential campaign over generated guests.
 * Every operation runs on every platform, is compared with native, and is followed by every
 * invariant check; divergences are shrunk and written as replayable traces.
 */
@Command(
    name = "diff",
    mixinStandardHelpOptions = true,
    description = "Runs a differential campaign (native, reference, optimized) over generated guests and operations.")
public final class DiffCommand extends SummaryCommand {
  @Option(names = "--seed", description = "Random seed (default ${DEFAULT-VALUE}).")
  long seed = 1;

  @Option(names = "--ops", description = "Operations to run in all (default ${DEFAULT-VALUE}).")
  int ops = 10_000;

  @Option(names = "--mode", description = "Paging mode of every guest: 2level, pae, 4level, or all to mix them (default: all).")
  @Nullable String mode;

  @Option(names = "--out", description = "Directory for divergence traces (default ${DEFAULT-VALUE}).")
  Path outDir = Path.of("target", "diff");

  @Override
  protected void run(PrintWriter out, Summary summary) throws IOException {
    if (ops < 1) {
      throw new UserInputException("--ops must be at least 1, got " + ops);
    }
    PagingMode forced = parseMode(mode);
    OutputPaths.requireWritableDirectory(outDir, "--out");
    ProgressBar bar = new ProgressBar(spec.commandLine().getErr(), "diff", System.console() != null);
    long start = System.nanoTime();
    Campaign.Result result = Campaign.run(StandardPlatforms.all(), seed, ops, forced, outDir, "diff",
        (done, total, divergences) -> bar.update(ProgressBar.rate(done, total, start, "ops") + ", divergences=" + divergences,
            done / (double) total));
    bar.finish();
    for (Differential.Shrunk shrunk : result.divergences()) {
      out.println("DIVERGENCE " + shrunk.failure() + " (" + shrunk.originalOps() + " ops shrunk to "
          + shrunk.minimal().ops().size() + "); replay: ./shadowref replay " + shrunk.trace());
    }
    out.println("coverage (" + result.coverage().size() + " classes reached):");
    for (Map.Entry<String, Integer> entry : result.coverage().entrySet()) {
      out.println(String.format(Locale.ROOT, "  %-50s %d", entry.getKey(), entry.getValue()));
    }
    summary.put("ops", result.ops())
        .put("ops_per_s", result.opsPerSecond())
        .put("divergences", result.divergences().size())
        .put("guests", result.guests())
        .put("classes", result.coverage().size())
        .failIf(!result.divergences().isEmpty());
  }

  private static @Nullable PagingMode parseMode(@Nullable String name) {
    if (name == null || name.equals("all")) {
      return null;
    }
    for (PagingMode candidate : PagingMode.values()) {
      if (candidate.cliName().equals(name)) {
        return candidate;
      }
    }
    throw new UserInputException("unknown --mode '" + name + "': expected 2level, pae, 4level or all");
  }
}
