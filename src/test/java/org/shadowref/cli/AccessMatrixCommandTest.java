package org.shadowref.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@code ./shadowref access-matrix} through {@link Main#execute}: exit codes and summary line. */
class AccessMatrixCommandTest {
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    return Main.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
  }

  private String lastLine() {
    String[] lines = out.toString().split("\\R");
    return lines[lines.length - 1];
  }

  @Test
  void aGoodModeChecksThousandsOfCombinationsAndExitsZero() {
    int exit = run("access-matrix", "--mode", "2level");
    assertEquals(SummaryCommand.EXIT_OK, exit, err.toString());
    Matcher summary =
        Pattern.compile("access-matrix: mode=2level combinations=(\\d+) failed=0").matcher(lastLine());
    assertTrue(summary.matches(), lastLine());
    assertTrue(Long.parseLong(summary.group(1)) > 1000, lastLine());
    assertTrue(out.toString().contains("2level+pse"), "the table lists both 32-bit geometries");
  }

  @Test
  void anUnknownModeIsBadInputWithAClearMessage() {
    int exit = run("access-matrix", "--mode", "5level");
    assertEquals(SummaryCommand.EXIT_BAD_INPUT, exit);
    assertTrue(lastLine().startsWith("access-matrix: error="), lastLine());
    assertTrue(err.toString().contains("unknown mode '5level'"), err.toString());
    assertFalse(err.toString().contains("Exception"), err.toString());
  }

  @Test
  void anUnknownOptionIsBadInput() {
    assertEquals(SummaryCommand.EXIT_BAD_INPUT, run("access-matrix", "--frobnicate"));
    assertFalse(err.toString().contains("Exception"), err.toString());
  }
}
