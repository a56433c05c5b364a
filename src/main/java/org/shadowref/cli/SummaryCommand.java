package org.shadowref.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import org.checkerframework.checker.nullness.qual.Nullable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * Base of every command: runs the work, then prints the summary line and turns it into the exit
 * code (0 all checks held, 1 a check failed, 2 bad input).
 */
public abstract class SummaryCommand implements Callable<Integer> {
  public static final int EXIT_OK = 0;
  public static final int EXIT_CHECK_FAILED = 1;
  public static final int EXIT_BAD_INPUT = 2;

  @Spec CommandSpec spec = CommandSpec.create();

  private @Nullable Interruption interruption;

  /** Does the command's work, printing to {@code out}; records its results in {@code summary}. */
  protected abstract void run(PrintWriter out, Summary summary) throws Exception;

  /**
   * For a long run: from now on Ctrl-C asks the work to stop (poll {@link Interruption#requested})
   * and the JVM waits for this command's summary line, which then ends {@code stopped=interrupt}.
   */
  protected final Interruption stopOnInterrupt() {
    Interruption installed = Interruption.install();
    interruption = installed;
    return installed;
  }

  @Override
  public final Integer call() {
    try {
      return runAndSummarize();
    } finally {
      if (interruption != null) {
        interruption.reported();
      }
    }
  }

  private int runAndSummarize() {
    String name = spec.name();
    PrintWriter out = spec.commandLine().getOut();
    Summary summary = new Summary(name);
    try {
      run(out, summary);
    } catch (UserInputException e) {
      out.flush();
      spec.commandLine().getErr().println("shadowref " + name + ": " + e.getMessage());
      spec.commandLine().getErr().flush();
      out.println(new Summary(name).put("error", Summary.firstLine(e.getMessage())).line());
      out.flush();
      return EXIT_BAD_INPUT;
    } catch (Exception e) {
      out.flush();
      out.println(new Summary(name).put("error", "internal: " + e).line());
      out.flush();
      throw new IllegalStateException(e);
    }
    Interruption stopped = interruption;
    if (stopped != null && stopped.requested()) {
      summary.put("stopped", "interrupt");
    }
    out.println(summary.line());
    out.flush();
    return summary.failed() ? EXIT_CHECK_FAILED : EXIT_OK;
  }
}
