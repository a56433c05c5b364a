package org.shadowref.check.suite;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The claims {@code shadowref check} makes, in the order it checks them. */
public final class Suite {
  private Suite() {}

  public static List<ClaimCheck> standard(Path models, Path examples) {
    List<ClaimCheck> claims = new ArrayList<>();
    claims.add(new NativeOracleClaim());
    claims.add(new LemmasClaim());
    claims.add(new ModelsClaim(models));
    return claims;
  }
}
