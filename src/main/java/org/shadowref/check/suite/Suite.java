package org.shadowref.check.suite;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.shadowref.check.coverage.Classifier;
import org.shadowref.check.coverage.Coverage;
import org.shadowref.check.diff.StandardPlatforms;

/** The claims {@code shadowref check} makes, in the order it checks them. */
public final class Suite {
  private Suite() {}

  /** The seed of the campaign {@code check} runs: fixed, so a check is reproducible. */
  public static final long CAMPAIGN_SEED = 1;

  /**
   * Whether {@code check} makes the coverage claim by default (the CLI leaves it out of {@code
   * --quick}, whose short campaign is not meant to reach every cell). The matrix is recorded and
   * reported either way.
   */
  public static final boolean COVERAGE_CLAIM_BY_DEFAULT = true;

  /**
   * Every claim: the oracle against the SDM, the lemmas, the models, the examples, a campaign, the
   * optimized engine in every combination of techniques, out-of-sync shadows against native with a
   * TLB, copies against their originals, the emulator against the SDM executor, and the mutation
   * table. Traces of any divergence go under {@code traces}.
   */
  public static List<ClaimCheck> standard(Path models, Path examples, Path traces) {
    return standard(models, examples, traces, new Coverage(), COVERAGE_CLAIM_BY_DEFAULT);
  }

  /**
   * {@link #standard(Path, Path, Path)}, recording the input-space coverage of the examples and
   * the campaign into {@code coverage}, and with {@code coverageClaim} also claiming that every
   * reachable cell was reached.
   */
  public static List<ClaimCheck> standard(Path models, Path examples, Path traces, Coverage coverage,
      boolean coverageClaim) {
    List<ClaimCheck> claims = new ArrayList<>();
    claims.add(new NativeOracleClaim());
    claims.add(new LemmasClaim());
    claims.add(new ModelsClaim(models, traces.resolve("models")));
    claims.addAll(coverageRuns(examples, traces, coverage));
    if (coverageClaim) {
      claims.add(new CoverageClaim(coverage));
    }
    claims.add(new TechniquesClaim());
    claims.add(new OutOfSyncClaim());
    claims.add(new CopiesClaim(StandardPlatforms.all()));
    claims.add(new EmulatorClaim());
    claims.add(new MutantsClaim(traces.resolve("mutants"), examples));
    return claims;
  }

  /**
   * The runs whose input-space coverage is measured, as {@code check} makes them: the examples
   * and the campaign, each step classified into {@code coverage}.
   */
  public static List<ClaimCheck> coverageRuns(Path examples, Path traces, Coverage coverage) {
    return List.of(new ExamplesClaim(examples, StandardPlatforms.all(), new Classifier(coverage)),
        new CampaignClaim(CAMPAIGN_SEED, traces.resolve("campaign"), () -> new Classifier(coverage),
            () -> coverage.missed().isEmpty()));
  }
}
