package org.shadowref.check.suite;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.shadowref.check.diff.StandardPlatforms;

/** The claims {@code shadowref check} makes, in the order it checks them. */
public final class Suite {
  private Suite() {}

  /** The seed of the campaign {@code check} runs: fixed, so a check is reproducible. */
  public static final long CAMPAIGN_SEED = 1;

  /**
   * Every claim: the oracle against the SDM, the lemmas, the models, the examples, a campaign and
   * the mutation table. Traces of any divergence go under {@code traces}.
   */
  public static List<ClaimCheck> standard(Path models, Path examples, Path traces) {
    List<ClaimCheck> claims = new ArrayList<>();
    claims.add(new NativeOracleClaim());
    claims.add(new LemmasClaim());
    claims.add(new ModelsClaim(models));
    claims.add(new ExamplesClaim(examples, StandardPlatforms.all()));
    claims.add(new CampaignClaim(CAMPAIGN_SEED, traces.resolve("campaign")));
    claims.add(new MutantsClaim(traces.resolve("mutants")));
    return claims;
  }
}
