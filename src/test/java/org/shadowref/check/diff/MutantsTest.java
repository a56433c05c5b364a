package org.shadowref.check.diff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.shadowref.check.gen.GeneratedCase;
import org.shadowref.check.suite.ExamplesClaim;
import org.shadowref.cli.MutantsCommand;

class MutantsTest {
  @Test
  void everyMutantIsKilledAndProofsMutantsMdIsWhatTheCommandGenerates() throws Exception {
    List<GeneratedCase> examples = ExamplesClaim.asCases(Path.of("examples"));
    List<MutationScore.Row> rows = MutationScore.run(MutationScore.DEFAULT_SEED, MutationScore.DEFAULT_TRIES,
        MutationScore.DEFAULT_OPS, Path.of("target", "mutants"), MutationScore.Listener.NONE, examples);
    // Every mutant is killed except the known gaps of the generators, each of which survives:
    // killing one (or a new survivor) means updating MutationScore.KNOWN_GAPS.
    for (MutationScore.Row row : rows) {
      assertEquals(!MutationScore.KNOWN_GAPS.containsKey(row.mutant()), row.killed(),
          row.mutant() + (row.killed() ? " is killed now: drop it from KNOWN_GAPS" : " survived"));
    }
    String page = MutantsCommand.page(rows, MutationScore.DEFAULT_SEED, MutationScore.DEFAULT_TRIES,
        MutationScore.DEFAULT_OPS, examples.size());
    assertEquals(page, Files.readString(Path.of("proofs", "mutants.md"), StandardCharsets.UTF_8),
        "proofs/mutants.md drifted: regenerate it with ./shadowref mutants --write proofs/mutants.md");
  }
}
