package org.shadowref.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.arch.PagingMode;
import org.shadowref.check.diff.Campaign;
import org.shadowref.check.diff.Differential;
import org.shadowref.check.diff.Lane;
import org.shadowref.check.diff.StandardPlatforms;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code shadowref diff --seed S --ops N}: a long differential campaign over generated guests, in
 * every engine configuration {@code check} runs (its lanes), sharded over the cores. Every
 * operation runs on every platform of its lane, is compared with native and is followed by every
 * invariant check; divergences are shrunk and written as replayable traces. Ctrl-C stops it with
 * a report of what it did so far.
 */
@Command(
    name = "diff",
    mixinStandardHelpOptions = true,
    description = {
      "Runs a differential campaign over generated guests: native against the reference engine and the",
      "optimized engine in every configuration (the lanes of check), sharded over --threads.",
      "Progress and an ETA go to standard error; Ctrl-C stops it and reports what it did so far."
    })
public final class DiffCommand extends SummaryCommand {
  @Option(names = "--seed", description = "Random seed; each shard of 2,000 ops draws its own from it (default ${DEFAULT-VALUE}).")
  long seed = 1;

  @Option(names = "--ops", description = "Operations to run in all, shared among the lanes by weight (default ${DEFAULT-VALUE}).")
  int ops = 10_000;

  @Option(names = "--mode", description = "Paging mode of every guest: 2level, pae, 4level, or all to mix them (default: all).")
  @Nullable String mode;

  @Mixin ThreadsOption threads = new ThreadsOption();

  @Option(names = "--out", description = "Directory for divergence traces (default ${DEFAULT-VALUE}).")
  Path outDir = Path.of("target", "diff");

  @Override
  protected void run(PrintWriter out, Summary summary) throws IOException {
    if (ops < 1) {
      throw new UserInputException("--ops must be at least 1, got " + ops);
    }
    int threadCount = threads.count();
    List<Lane> lanes = lanes(parseMode(mode));
    OutputPaths.requireWritableDirectory(outDir, "--out");
    Interruption interruption = stopOnInterrupt();
    ProgressBar bar = new ProgressBar(spec.commandLine().getErr(), "diff", System.console() != null);
    long start = System.nanoTime();
    List<Campaign.LaneResult> results = Campaign.runLanes(lanes, seed, ops, threadCount, outDir, "diff",
        new Campaign.Listener() {
          @Override
          public void progress(int done, int total, int divergences) {
            bar.update(ProgressBar.rate(done, total, start, "ops") + ", divergences=" + divergences,
                done / (double) total);
          }

          @Override
          public boolean stopRequested() {
            return interruption.requested();
          }
        },
        () -> org.shadowref.check.diff.StepObserver.NONE);
    bar.finish();
    long seconds = Math.max(1, (System.nanoTime() - start) / 1_000_000_000L);
    int done = 0;
    int guests = 0;
    List<Differential.Shrunk> divergences = new ArrayList<>();
    Map<String, Integer> coverage = new TreeMap<>();
    for (Campaign.LaneResult lane : results) {
      Campaign.Result result = lane.result();
      done += result.ops();
      guests += result.guests();
      divergences.addAll(result.divergences());
      result.coverage().forEach((key, count) -> coverage.merge(key, count, Integer::sum));
      out.println(String.format(Locale.ROOT, "lane %-24s %,10d ops %,7d guests %d divergences (%s)",
          lane.lane().name(), result.ops(), result.guests(), result.divergences().size(),
          String.join(", ", lane.lane().platforms().names())));
    }
    for (Differential.Shrunk shrunk : divergences) {
      out.println("DIVERGENCE " + shrunk.failure() + " (" + shrunk.originalOps() + " ops shrunk to "
          + shrunk.minimal().ops().size() + "); replay: ./shadowref replay " + shrunk.trace());
    }
    out.println("coverage (" + coverage.size() + " classes reached):");
    for (Map.Entry<String, Integer> entry : coverage.entrySet()) {
      out.println(String.format(Locale.ROOT, "  %-50s %d", entry.getKey(), entry.getValue()));
    }
    summary.put("ops", done)
        .put("ops_per_s", done / seconds)
        .put("divergences", divergences.size())
        .put("guests", guests)
        .put("lanes", lanes.size())
        .put("threads", threadCount)
        .put("classes", coverage.size())
        .failIf(!divergences.isEmpty());
  }

  /** The campaign lanes of {@code check}, all of them or, for one mode, those whose guests can start in it. */
  private static List<Lane> lanes(@Nullable PagingMode forced) {
    List<Lane> lanes = new ArrayList<>();
    for (Lane lane : StandardPlatforms.campaignLanes()) {
      if (forced == null) {
        lanes.add(lane);
      } else if (lane.mode() == null || lane.mode() == forced) {
        lanes.add(new Lane(lane.name(), lane.platforms(), forced, lane.weight()));
      }
    }
    return lanes;
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
