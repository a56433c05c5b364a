package org.shadowref.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.shadowref.check.emulation.EmulationCheck;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
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
  /** About five hours at ~5,000 inputs per second on one core: a larger count is a typo, not a plan. */
  static final long MAX_COUNT = 100_000_000L;

  @Option(names = "--count", paramLabel = "N", required = true,
      description = "Instructions (and byte strings) to try, at most 100,000,000; progress and ETA go to standard error.")
  long count;

  @Option(names = "--seed", paramLabel = "S", description = "First seed; case i uses seed S + i (default: ${DEFAULT-VALUE}).")
  long seed = 1;

  @Mixin ThreadsOption threads = new ThreadsOption();

  @Override
  protected void run(PrintWriter out, Summary summary) throws InterruptedException {
    if (count < 1) {
      throw new UserInputException("--count must be at least 1, got " + count);
    }
    if (count > MAX_COUNT) {
      throw new UserInputException("--count " + count + " is above the maximum " + MAX_COUNT
          + " (about five hours); split the range with --seed");
    }
    int threadCount = threads.count();
    Interruption interruption = stopOnInterrupt();
    ProgressBar bar = new ProgressBar(spec.commandLine().getErr(), "emulate-check", System.console() != null);
    long start = System.nanoTime();
    AtomicLong done = new AtomicLong();
    AtomicLong mismatches = new AtomicLong();
    AtomicLong exceptions = new AtomicLong();
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threadCount; t++) {
      long first = t;
      // Thread t takes cases t, t + threads, ...: every case is tried once, whatever the timing.
      workers.add(new Thread(() -> {
        for (long i = first; i < count && !interruption.requested(); i += threadCount) {
          tryCase(seed + i, out, mismatches, exceptions);
          long finished = done.incrementAndGet();
          if (finished == 1 || (finished & 1023) == 0) {
            synchronized (bar) {
              bar.update(ProgressBar.rate(finished, count, start, "inputs"), finished / (double) count);
            }
          }
        }
      }, "emulate-check-" + t));
    }
    for (Thread worker : workers) {
      worker.start();
    }
    for (Thread worker : workers) {
      worker.join();
    }
    bar.finish();
    long seconds = Math.max(1, (System.nanoTime() - start) / 1_000_000_000L);
    summary.put("inputs", done.get()).put("mismatches", mismatches.get()).put("exceptions", exceptions.get())
        .put("inputs_per_s", done.get() / seconds).put("threads", threadCount);
    summary.failIf(mismatches.get() > 0 || exceptions.get() > 0);
  }

  /** The comparison and the fuzz case for {@code caseSeed}; each problem is printed whole. */
  private static void tryCase(long caseSeed, PrintWriter out, AtomicLong mismatches, AtomicLong exceptions) {
    for (int kind = 0; kind < 2; kind++) {
      String problem;
      try {
        problem = kind == 0 ? EmulationCheck.compare(caseSeed) : EmulationCheck.fuzz(caseSeed);
      } catch (RuntimeException e) {
        exceptions.incrementAndGet();
        problem = (kind == 0 ? "compare" : "fuzz") + " seed " + caseSeed + ": exception " + e;
        synchronized (out) {
          out.println(problem);
        }
        continue;
      }
      if (problem != null) {
        mismatches.incrementAndGet();
        synchronized (out) {
          out.println((kind == 0 ? "mismatch " : "fuzz ") + problem);
        }
      }
    }
  }
}
