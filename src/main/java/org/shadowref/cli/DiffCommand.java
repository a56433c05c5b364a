package org.shadowref.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.arch.PagingMode;
import org.shadowref.arch.PfErrorCode;
import org.shadowref.check.diff.Differential;
import org.shadowref.check.diff.PlatformSet;
import org.shadowref.check.diff.StandardPlatforms;
import org.shadowref.check.gen.GeneratedCase;
import org.shadowref.check.gen.Guests;
import org.shadowref.shadow.GuestOp;
import org.shadowref.shadow.OpResult;
import org.shadowref.shadow.Platform;
import org.shadowref.shadow.reference.ReferenceEngine;
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
    description = "Runs a differential campaign (native vs reference) over generated guests and operations.")
public final class DiffCommand extends SummaryCommand {
  /** Operations per generated guest before the campaign moves on to a fresh one. */
  private static final int OPS_PER_GUEST = 200;

  @Option(names = "--seed", description = "Random seed (default ${DEFAULT-VALUE}).")
  long seed = 1;

  @Option(names = "--ops", description = "Operations to run in all (default ${DEFAULT-VALUE}).")
  int ops = 10_000;

  @Option(names = "--mode", description = "Paging mode of every guest: 2level, pae or 4level (default: all).")
  @Nullable String mode;

  @Option(names = "--out", description = "Directory for divergence traces (default ${DEFAULT-VALUE}).")
  Path outDir = Path.of("target", "diff");

  @Override
  protected void run(PrintWriter out, Summary summary) throws IOException {
    if (ops < 1) {
      throw new UserInputException("--ops must be at least 1, got " + ops);
    }
    PagingMode forced = parseMode(mode);
    boolean tty = System.console() != null;
    PlatformSet platforms = StandardPlatforms.all();
    Map<String, Integer> coverage = new TreeMap<>();
    Random random = new Random(seed);
    int done = 0;
    int divergences = 0;
    int guests = 0;
    long start = System.nanoTime();
    long lastReport = start;
    while (done < ops) {
      Guests.Stream stream = new Guests.Stream(random, forced);
      guests++;
      Differential.Stepper stepper = new Differential.Stepper(platforms, stream.start.world());
      listen(stepper.platforms(), coverage);
      List<GuestOp> sofar = new ArrayList<>();
      for (int i = 0; i < OPS_PER_GUEST && done < ops; i++) {
        GuestOp op = stream.next();
        sofar.add(op);
        Differential.Failure failure = stepper.step(op);
        done++;
        count(coverage, "result " + outcomeClass(op, stepper.lastOracleResult()));
        if (failure != null) {
          divergences++;
          Differential.Shrunk shrunk = Differential.shrinkAndWrite(platforms, stream.start.withOps(sofar), failure,
              outDir, "diff-seed" + seed + "-guest" + guests, "diff --seed " + seed);
          out.println();
          out.println("DIVERGENCE " + shrunk.failure() + " (" + shrunk.originalOps() + " ops shrunk to "
              + shrunk.minimal().ops().size() + "); replay: ./shadowref replay " + shrunk.trace());
          break;
        }
        long now = System.nanoTime();
        if (now - lastReport > (tty ? 200_000_000L : 5_000_000_000L)) {
          lastReport = now;
          progress(out, tty, done, ops, start, now, divergences);
        }
      }
    }
    long elapsed = Math.max(1, System.nanoTime() - start);
    progress(out, tty, done, ops, start, System.nanoTime(), divergences);
    if (tty) {
      out.println();
    }
    out.println("coverage (" + coverage.size() + " classes reached):");
    for (Map.Entry<String, Integer> entry : coverage.entrySet()) {
      out.println(String.format(Locale.ROOT, "  %-50s %d", entry.getKey(), entry.getValue()));
    }
    summary.put("ops", done)
        .put("ops_per_s", (long) (done * 1e9 / elapsed))
        .put("divergences", divergences)
        .put("guests", guests)
        .put("classes", coverage.size())
        .failIf(divergences > 0);
  }

  private static @Nullable PagingMode parseMode(@Nullable String name) {
    if (name == null) {
      return null;
    }
    for (PagingMode candidate : PagingMode.values()) {
      if (candidate.cliName().equals(name)) {
        return candidate;
      }
    }
    throw new UserInputException("unknown --mode '" + name + "': expected 2level, pae or 4level");
  }

  /** Counts the reference engine's fault resolutions (the handler's cases) into {@code coverage}. */
  private static void listen(List<Platform> platforms, Map<String, Integer> coverage) {
    for (Platform platform : platforms) {
      if (platform instanceof ReferenceEngine) {
        ((ReferenceEngine) platform).setResolutionListener(kind -> count(coverage, "handler " + kind));
      }
    }
  }

  /** The class of an outcome: operation kind, result status and, for faults, the error code. */
  private static String outcomeClass(GuestOp op, @Nullable OpResult result) {
    String what = op instanceof GuestOp.MemoryAccess
        ? ((GuestOp.MemoryAccess) op).kind().name().toLowerCase(Locale.ROOT) + ((GuestOp.MemoryAccess) op).size()
        : op instanceof GuestOp.Execute ? "exec " + describe((GuestOp.Execute) op)
        : op.getClass().getSimpleName();
    if (result == null) {
      return what;
    }
    String status = result.status().name().toLowerCase(Locale.ROOT);
    if (result.status() == OpResult.Status.GUEST_FAULT) {
      status += " " + PfErrorCode.describe(result.errorCode());
    }
    return what + ": " + status;
  }

  private static String describe(GuestOp.Execute op) {
    StringBuilder bytes = new StringBuilder();
    for (byte b : op.code()) {
      bytes.append(String.format(Locale.ROOT, "%02x", b & 0xFF));
    }
    return bytes.toString();
  }

  private static void count(Map<String, Integer> coverage, String key) {
    Integer seen = coverage.get(key);
    coverage.put(key, seen == null ? 1 : seen + 1);
  }

  private static void progress(PrintWriter out, boolean tty, int done, int total, long start, long now, int divergences) {
    int width = 30;
    int filled = (int) ((long) done * width / total);
    StringBuilder bar = new StringBuilder("[");
    for (int i = 0; i < width; i++) {
      bar.append(i < filled ? '#' : '.');
    }
    double seconds = Math.max(1e-9, (now - start) / 1e9);
    String line = String.format(Locale.ROOT, "%s %d/%d ops  %.0f ops/s  divergences=%d",
        bar.append(']'), done, total, done / seconds, divergences);
    if (tty) {
      out.print("\r" + line);
    } else {
      out.println(line);
    }
    out.flush();
  }
}
