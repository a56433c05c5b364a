package org.shadowref.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ./shadowref prove}: the table, the summary line, the pages and bad input. */
class ProveCommandTest {
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int prove(String... args) {
    String[] line = new String[args.length + 1];
    line[0] = "prove";
    System.arraycopy(args, 0, line, 1, args.length);
    return Main.execute(line, new PrintWriter(out, true), new PrintWriter(err, true));
  }

  private String lastLine() {
    String[] lines = out.toString().trim().split("\n");
    return lines[lines.length - 1];
  }

  @Test
  void provesEveryLemmaRefutesEveryVariantAndWritesThePages(@TempDir Path pages) throws Exception {
    assertEquals(0, prove("--write-pages", "--pages-dir", pages.toString()), out + "\n" + err);
    assertEquals("prove: lemmas=6 proved=6 refuted=0 broken=15 broken_refuted=15", lastLine());
    assertTrue(out.toString().contains("no-amplification       proved"), out.toString());
    assertTrue(
        out.toString().contains("broken \"encodeMmio drops gfn bit 35\": refuted, gfn="),
        out.toString());
    for (String page :
        new String[] {
          "no-amplification.md", "magic-disjoint.md", "mmio-roundtrip.md",
          "fast-path-error-code.md", "reserved-bits.md", "propagation-spec.md"
        }) {
      assertTrue(Files.readString(pages.resolve(page)).contains("**proved**"), page);
    }
  }

  @Test
  void aMissingPagesDirectoryIsBadInput(@TempDir Path scratch) {
    Path missing = scratch.resolve("no-such-dir");
    assertEquals(2, prove("--write-pages", "--pages-dir", missing.toString()));
    assertTrue(err.toString().contains("is not a directory"), err.toString());
    assertTrue(lastLine().startsWith("prove: error="), lastLine());
  }
}
