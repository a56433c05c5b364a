package org.shadowref.cli;

import java.nio.file.Path;
import org.shadowref.check.diff.PlatformSet;
import org.shadowref.check.diff.StandardPlatforms;
import org.shadowref.shadow.core.SeededBug;
import org.shadowref.shadow.reference.ReferenceEngine;

/**
 * Seeded bugs by the names traces record them under: {@code skip-revalidate} (a model's
 * {@code bug=} argument), {@code reference:SKIP_REVALIDATE} or {@code optimized:DROP_NX}
 * (the mutation table's row names).
 */
final class SeededBugNames {
  private SeededBugNames() {}

  /** Native beside the engine carrying {@code name}; an unknown name is bad input naming {@code source}. */
  static PlatformSet platforms(String name, Path source) {
    return platforms(name, source + ": the trace was recorded with the seeded bug '" + name
        + "', which this build does not have");
  }

  /** Native beside the engine carrying {@code name}; an unknown name is bad input with {@code unknown} as its message. */
  static PlatformSet platforms(String name, String unknown) {
    String engine = "reference";
    String bug = name;
    int colon = name.indexOf(':');
    if (colon >= 0) {
      engine = name.substring(0, colon);
      bug = name.substring(colon + 1);
    }
    SeededBug seeded = SeededBug.named(bug);
    if (seeded != null && engine.equals("reference") && seeded.inReference()) {
      return StandardPlatforms.withReferenceBug(seeded);
    }
    if (seeded != null && engine.equals("optimized") && seeded.inOptimized()) {
      return StandardPlatforms.withOptimizedBug(seeded);
    }
    throw new UserInputException(unknown);
  }
}
