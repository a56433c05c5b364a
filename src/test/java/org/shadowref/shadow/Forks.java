package org.shadowref.shadow;

import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import org.shadowref.check.diff.CopyCheck;

/**
 * The copy property every platform owes the explorer ({@link CopyCheck}), as an assertion: a copy
 * taken midway behaves as the original, and so does a discarded copy overwritten midway.
 */
public final class Forks {
  private Forks() {}

  /** {@link CopyCheck#copyMidwayBehavesAlike}, failing the test on the first difference. */
  public static void assertCopyMidwayBehavesAlike(Platform platform, List<GuestOp> ops) {
    assertNull(CopyCheck.copyMidwayBehavesAlike(platform, ops));
  }
}
