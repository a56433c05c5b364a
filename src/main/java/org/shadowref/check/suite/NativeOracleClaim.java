package org.shadowref.check.suite;

import java.util.List;
import java.util.Locale;
import org.shadowref.check.conformance.AccessMatrix;
import org.shadowref.check.conformance.Geometry;
import org.shadowref.check.conformance.MatrixReport;

/** The native walker does what the SDM says, on KVM's access-test combination space. */
public final class NativeOracleClaim implements ClaimCheck {
  /** The matrix's size today, for the progress bar only. */
  private static final long EXPECTED_COMBINATIONS = 4_260_096;

  @Override
  public String claim() {
    return "the native MMU oracle follows the SDM";
  }

  @Override
  public ClaimResult run(Preset preset, Progress progress) {
    long start = System.nanoTime();
    Geometry[] geometries = Geometry.values();
    long[] done = {0};
    MatrixReport report = AccessMatrix.run(geometries, AccessMatrix.NATIVE_WALKER, (c, expected, actual, mismatch) -> {
      if ((++done[0] & 0xFFFF) == 0) {
        progress.update("access matrix", Math.min(1.0, done[0] / (double) EXPECTED_COMBINATIONS));
      }
    });
    String evidence = String.format(Locale.ROOT,
        "access matrix: %,d combinations of flags, accesses and control bits in %d layouts vs an SDM rule table",
        report.total(), geometries.length);
    String detail = report.failed() == 0 ? "0 mismatches" : report.failed() + " mismatches";
    return new ClaimResult(claim(), evidence, report.failed() == 0, seconds(start), detail, List.of());
  }

  static double seconds(long startNanos) {
    return (System.nanoTime() - startNanos) / 1e9;
  }
}
