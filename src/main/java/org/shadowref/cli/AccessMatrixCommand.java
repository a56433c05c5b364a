package org.shadowref.cli;

import java.io.PrintWriter;
import java.util.Locale;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.arch.PagingMode;
import org.shadowref.check.conformance.AccessCase;
import org.shadowref.check.conformance.AccessMatrix;
import org.shadowref.check.conformance.Expectation;
import org.shadowref.check.conformance.Geometry;
import org.shadowref.check.conformance.MatrixReport;
import org.shadowref.mmu.WalkResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ./shadowref access-matrix}: the native walker against the SDM rule table. */
@Command(
    name = "access-matrix",
    mixinStandardHelpOptions = true,
    header = "Checks the native walker against the SDM on every combination of flags, access and control bits.",
    description = {
      "Walks every combination of directory and leaf flags, access and control bits (the space of",
      "KVM's access test) with the native walker and checks each against a rule table written from",
      "the Intel SDM: outcome, error code, translated address and the entries' A/D bits afterwards."
    })
final class AccessMatrixCommand extends SummaryCommand {
  @Option(
      names = "--mode",
      paramLabel = "MODE",
      description = "2level, pae, 4level or all (default: ${DEFAULT-VALUE}).",
      defaultValue = "all")
  String mode = "all";

  @Option(names = "--rows", description = "Also print one line per combination (millions for all).")
  boolean rows;

  @Override
  protected void run(PrintWriter out, Summary summary) {
    Geometry[] geometries = geometries(mode);
    out.println("access matrix: the native walker against the SDM rule table (MAXPHYADDR "
        + AccessMatrix.MAX_PHYS_ADDR + ")");
    out.println("  directory flags P RW US A D PS NX RSVD x leaf flags P RW US A D NX RSVD");
    out.println("  x read/write/fetch, supervisor/user x CR0.WP x EFER.NXE x CR4.SMEP x CR4.SMAP/EFLAGS.AC");
    out.println();
    MatrixReport report = AccessMatrix.run(geometries, AccessMatrix.NATIVE_WALKER, rows ? new RowPrinter(out) : null);
    printTable(out, report);
    printMismatches(out, report);
    summary.put("mode", mode);
    summary.put("combinations", report.total());
    summary.put("failed", report.failed());
    summary.failIf(report.failed() > 0);
  }

  private static Geometry[] geometries(String mode) {
    if (mode.equals("all")) {
      return Geometry.values();
    }
    PagingMode paging = PagingMode.fromCliName(mode);
    if (paging == null) {
      throw new UserInputException(
          "unknown mode '" + mode + "': expected 2level, pae, 4level or all");
    }
    return Geometry.of(paging);
  }

  private static void printTable(PrintWriter out, MatrixReport report) {
    String format = "%-11s %-18s %9s %9s %12s %9s %11s %7s%n";
    out.printf(Locale.ROOT, format, "geometry", "access", "cases", "ok", "not-present", "reserved", "protection", "failed");
    Geometry[] geometries = report.geometries();
    for (int g = 0; g < geometries.length; g++) {
      for (int a = 0; a < AccessMatrix.ACCESSES.length; a++) {
        long ok = report.count(g, a, Expectation.Outcome.OK);
        long notPresent = report.count(g, a, Expectation.Outcome.NOT_PRESENT);
        long reserved = report.count(g, a, Expectation.Outcome.RESERVED_BIT);
        long protection = report.count(g, a, Expectation.Outcome.PROTECTION);
        out.printf(
            Locale.ROOT,
            format,
            a == 0 ? geometries[g].label() : "",
            AccessMatrix.ACCESSES[a],
            ok + notPresent + reserved + protection,
            ok,
            notPresent,
            reserved,
            protection,
            report.failures(g, a));
      }
    }
    out.println("(counts are of expected outcomes; failed counts combinations where the walker disagreed)");
  }

  private static void printMismatches(PrintWriter out, MatrixReport report) {
    if (report.failed() == 0) {
      return;
    }
    out.println();
    out.println("mismatches (" + report.mismatches().size() + " shown of " + report.failed() + "):");
    for (String mismatch : report.mismatches()) {
      out.println("  " + mismatch);
    }
  }

  /** One line per combination: the combination, what the SDM expects, and the verdict. */
  private static final class RowPrinter implements AccessMatrix.Listener {
    private final PrintWriter out;

    RowPrinter(PrintWriter out) {
      this.out = out;
    }

    @Override
    public void onCase(AccessCase c, Expectation expected, WalkResult actual, @Nullable String mismatch) {
      out.println(c + " -> " + AccessMatrix.describe(expected) + (mismatch == null ? "" : "  MISMATCH: " + mismatch));
    }
  }
}
