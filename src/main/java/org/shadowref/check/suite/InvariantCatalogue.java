package org.shadowref.check.suite;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The invariant catalogue as proofs/invariants/ states it: the statement of each invariant is
 * read from its page, so the report never restates (and never drifts from) the catalogue.
 */
public final class InvariantCatalogue {
  private InvariantCatalogue() {}

  /** The "Statement" section of {@code proofs/invariants/ID.md}, joined into one paragraph. */
  public static String statement(Path proofs, String id) {
    Path page = proofs.resolve("invariants").resolve(id + ".md");
    List<String> lines;
    try {
      lines = Files.readAllLines(page, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(no page " + page + ")";
    }
    StringBuilder out = new StringBuilder();
    boolean inStatement = false;
    for (String line : lines) {
      if (line.startsWith("## ")) {
        if (inStatement) {
          break;
        }
        inStatement = line.trim().equalsIgnoreCase("## Statement");
        continue;
      }
      if (inStatement && !line.isBlank()) {
        out.append(out.length() == 0 ? "" : " ").append(line.trim());
      }
    }
    return out.length() == 0 ? "(the page has no Statement section)" : out.toString();
  }
}
