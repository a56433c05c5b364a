package org.shadowref.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParameterException;

/** {@code ./shadowref COMMAND}: the entry point. */
@Command(
    name = "shadowref",
    mixinStandardHelpOptions = true,
    version = "shadowref 0.1.0",
    description = "A checked reference implementation of x86 shadow paging.",
    subcommands = {
      CommandLine.HelpCommand.class,
      AccessMatrixCommand.class,
      ProveCommand.class,
      ExploreCommand.class,
      JpfCommand.class,
      CheckCommand.class,
      CoverageCommand.class,
      RenderCommand.class,
      RunCommand.class,
      ReplayCommand.class,
      DiffCommand.class,
      MutantsCommand.class,
      EmulateCheckCommand.class,
      BenchCommand.class,
    })
public final class Main implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec = CommandLine.Model.CommandSpec.create();

  public static void main(String[] args) {
    PrintWriter out = new PrintWriter(System.out, true);
    int code;
    try {
      code = execute(args, out, new PrintWriter(System.err, true));
    } catch (OutOfMemoryError e) {
      // An input larger than the heap (a huge scenario or trace, a model's state space): say so, no stack trace.
      String command = args.length > 0 ? args[0] : "shadowref";
      System.err.println("shadowref " + command + ": out of memory (" + e.getMessage() + "); give the JVM more heap:"
          + " SHADOWREF_JAVA_OPTS=-Xmx8g ./shadowref ... or java -Xmx8g -jar target/shadowref.jar ...");
      out.println(new Summary(command).put("error", "out of memory").line());
      code = 3;
    }
    System.exit(code);
  }

  /** Runs one command line; the exit code is returned rather than passed to {@code System.exit}. */
  public static int execute(String[] args, PrintWriter out, PrintWriter err) {
    CommandLine cli = new CommandLine(new Main());
    cli.setOut(out);
    cli.setErr(err);
    cli.setParameterExceptionHandler(Main::badArguments);
    cli.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          err.println("shadowref " + commandLine.getCommandName() + ": internal error: " + rootCause(e));
          err.flush();
          return 3;
        });
    return cli.execute(args);
  }

  private static int badArguments(ParameterException e, String[] args) {
    CommandLine cli = e.getCommandLine();
    PrintWriter err = cli.getErr();
    err.println("shadowref " + cli.getCommandName() + ": " + e.getMessage());
    err.println("Try './shadowref " + (cli.getParent() == null ? "" : cli.getCommandName() + " ") + "--help'.");
    err.flush();
    cli.getOut().println(new Summary(cli.getCommandName()).put("error", Summary.firstLine(e.getMessage())).line());
    cli.getOut().flush();
    return SummaryCommand.EXIT_BAD_INPUT;
  }

  private static String rootCause(Throwable e) {
    Throwable cause = e;
    while (cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause.toString();
  }

  /** No command: the usage on standard error, and bad input (exit 2), so a script notices. */
  @Override
  public Integer call() {
    CommandLine cli = spec.commandLine();
    cli.usage(cli.getErr());
    cli.getErr().flush();
    cli.getOut().println(new Summary("shadowref").put("error", "no command given; try ./shadowref --help").line());
    cli.getOut().flush();
    return SummaryCommand.EXIT_BAD_INPUT;
  }
}
