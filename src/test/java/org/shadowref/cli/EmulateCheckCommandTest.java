package org.shadowref.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** {@code ./shadowref emulate-check}: the summary line, the exit code and bad arguments. */
class EmulateCheckCommandTest {
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int check(String... args) {
    String[] line = new String[args.length + 1];
    line[0] = "emulate-check";
    System.arraycopy(args, 0, line, 1, args.length);
    return Main.execute(line, new PrintWriter(out, true), new PrintWriter(err, true));
  }

  @Test
  void agreeingExecutorsEndWithACleanSummary() {
    assertEquals(0, check("--count", "300", "--seed", "7", "--threads", "2"), out + "\n" + err);
    assertTrue(out.toString().trim().matches("emulate-check: inputs=300 mismatches=0 exceptions=0 inputs_per_s=\\d+ threads=2"),
        out.toString());
  }

  @Test
  void badArgumentsExitTwoWithoutAStackTrace() {
    assertEquals(2, check("--count", "0"));
    assertTrue(err.toString().contains("--count must be at least 1"), err.toString());
    assertEquals(2, check("--count", "many"));
    assertEquals(2, check());
    assertTrue(!err.toString().contains("Exception"), err.toString());
  }
}
