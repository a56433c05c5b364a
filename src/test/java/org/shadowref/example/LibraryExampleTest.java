package org.shadowref.example;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The README's library example compiles (it is this package's code), runs, and is the README's text. */
class LibraryExampleTest {
  @Test
  void theExampleRunsTheScenarioSideBySideAndOnOneEngine() throws Exception {
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    PrintStream original = System.out;
    System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      LibraryExample.main(new String[0]);
    } finally {
      System.setOut(original);
    }
    String[] lines = captured.toString(StandardCharsets.UTF_8).split("\n");
    assertEquals("[native, reference, optimized]: first divergence at step -1, failed steps 0", lines[0]);
    assertEquals(6, lines.length, String.join("\n", lines));
    assertTrue(lines[1].endsWith("-> OK") || lines[1].endsWith("-> GUEST_FAULT"), lines[1]);
  }

  @Test
  void theReadmeShowsTheExampleAsItIs() throws Exception {
    String source = Files.readString(Path.of("src/test/java/org/shadowref/example/LibraryExample.java"));
    String body = source.substring(source.indexOf("// example:begin\n") + "// example:begin\n".length(),
        source.indexOf("// example:end"));
    String readme = Files.readString(Path.of("README.md"));
    assertTrue(readme.contains(body.stripIndent()), "README.md's library example differs from LibraryExample.java:\n"
        + body.stripIndent());
  }
}
