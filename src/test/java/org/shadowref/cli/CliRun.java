package org.shadowref.cli;

import java.io.PrintWriter;
import java.io.StringWriter;

/** Runs the CLI in-process, as a user's script would, and keeps what it printed apart. */
final class CliRun {
  /** Exit code, standard output, standard error. */
  record Outcome(int code, String out, String err) {
    /** The last line of standard output: the command's summary line. */
    String summary() {
      String[] lines = out.trim().split("\n");
      return lines[lines.length - 1];
    }
  }

  private CliRun() {}

  static Outcome run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
    return new Outcome(code, out.toString(), err.toString());
  }
}
