package org.shadowref.check.diff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.quicktheories.QuickTheory.qt;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.shadowref.check.gen.GeneratedCase;
import org.shadowref.check.gen.Guests;
import org.shadowref.check.trace.TraceFile;
import org.shadowref.check.trace.TraceReader;
import org.shadowref.shadow.core.SeededBug;
import org.shadowref.shadow.reference.ReferenceEngine;

class DifferentialPropertyTest {
  private static final Path FAILURES = Path.of("target", "property-failures");

  @Test
  void referenceEqualsNativeAndEveryInvariantHoldsAfterEveryStep() {
    PlatformSet platforms = StandardPlatforms.all();
    qt().withFixedSeed(20261125L).withExamples(40)
        .forAll(Guests.cases(1, 30))
        .checkAssert(generated -> {
          Differential.Failure failure = Differential.check(platforms, generated.world(), generated.ops());
          if (failure != null) {
            try {
              Differential.Shrunk shrunk = Differential.shrinkAndWrite(platforms, generated, failure, FAILURES,
                  "reference-vs-native-" + System.nanoTime(), "DifferentialPropertyTest");
              fail(shrunk.failure() + "; replay: ./shadowref replay " + shrunk.trace());
            } catch (java.io.IOException e) {
              fail(failure + " (and the trace could not be written: " + e + ")");
            }
          }
        });
  }

  @Test
  void aSeededBugIsCaughtShrunkToAOneMinimalCaseAndWrittenAsAReplayableTrace() throws Exception {
    PlatformSet buggy = StandardPlatforms.withReferenceBug(SeededBug.SKIP_REVALIDATE);
    for (int seed = 1; seed < 200; seed++) {
      GeneratedCase generated = Guests.generate(new Random(seed), 40, null);
      Differential.Failure failure = Differential.check(buggy, generated.world(), generated.ops());
      if (failure == null) {
        continue;
      }
      Differential.Shrunk shrunk = Differential.shrinkAndWrite(buggy, generated, failure, FAILURES, "skip-revalidate", "test");
      assertTrue(shrunk.minimal().ops().size() <= generated.ops().size());
      // 1-minimal: dropping any one operation makes the failure go away.
      for (int i = 0; i < shrunk.minimal().ops().size(); i++) {
        java.util.List<org.shadowref.shadow.GuestOp> fewer = new java.util.ArrayList<>(shrunk.minimal().ops());
        fewer.remove(i);
        Differential.Failure again = Differential.check(buggy, generated.world(), fewer);
        assertTrue(again == null || !again.property().equals(shrunk.failure().property()), "op " + i + " is not needed");
      }
      TraceFile trace = TraceReader.read(shrunk.trace());
      assertEquals(shrunk.minimal().ops(), trace.ops());
      assertNotNull(trace.world());
      assertNotNull(Differential.check(buggy, trace.world(), trace.ops()), "the written trace replays the failure");
      assertNull(Differential.check(StandardPlatforms.all(), trace.world(), trace.ops()), "the clean engine passes it");
      assertTrue(Files.size(shrunk.trace()) > 0);
      return;
    }
    fail("SKIP_REVALIDATE was never caught in 200 generated cases");
  }
}
