package org.shadowref.check.diff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.shadowref.cli.MutantsCommand;

class MutantsTest {
  @Test
  void everyMutantIsKilledAndProofsMutantsMdIsWhatTheCommandGenerates() throws Exception {
    List<MutationScore.Row> rows = MutationScore.run(MutantsCommand.DEFAULT_SEED, MutantsCommand.DEFAULT_TRIES,
        MutantsCommand.DEFAULT_OPS, Path.of("target", "mutants"));
    for (MutationScore.Row row : rows) {
      assertTrue(row.killed(), row.mutant() + " survived");
    }
    String page = MutantsCommand.page(rows, MutantsCommand.DEFAULT_SEED, MutantsCommand.DEFAULT_TRIES,
        MutantsCommand.DEFAULT_OPS);
    assertEquals(page, Files.readString(Path.of("proofs", "mutants.md"), StandardCharsets.UTF_8),
        "proofs/mutants.md drifted: regenerate it with ./shadowref mutants --write proofs/mutants.md");
  }
}
