package org.shadowref.check.suite;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** proofs/README.md lists every page and every folder of proofs/, and links only to files that exist. */
class ProofsIndexTest {
  @Test
  void theIndexListsEveryPageAndNothingElse() throws Exception {
    Path proofs = Path.of("proofs");
    String index = Files.readString(proofs.resolve("README.md"));
    try (Stream<Path> entries = Files.list(proofs)) {
      for (Path entry : (Iterable<Path>) entries::iterator) {
        String name = Listing.name(entry);
        if (name.equals("README.md")) {
          continue;
        }
        String link = Files.isDirectory(entry) ? "(" + name + "/README.md)" : "(" + name + ")";
        assertTrue(index.contains(link), "proofs/README.md does not list " + name);
      }
    }
    java.util.regex.Matcher links = java.util.regex.Pattern.compile("\\]\\(([^)]+)\\)").matcher(index);
    while (links.find()) {
      assertTrue(Files.exists(proofs.resolve(links.group(1))), "proofs/README.md links to a missing " + links.group(1));
    }
  }
}
