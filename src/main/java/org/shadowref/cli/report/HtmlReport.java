package org.shadowref.cli.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Writes a {@link Report} as one self-contained HTML file (inline CSS and SVG, no scripts, no
 * external resources), so it can be mailed, archived or opened offline.
 */
public final class HtmlReport {
  private static final String STYLE =
      "body{font-family:system-ui,sans-serif;margin:2em;color:#222}p,table{max-width:1400px}"
          + "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #bbb;padding:4px 8px;"
          + "text-align:left;vertical-align:top}th{background:#eee}.held{color:#176117;font-weight:bold}"
          + ".failed{color:#a11;font-weight:bold}.figure{display:flex;flex-wrap:nowrap;gap:1em;overflow-x:auto}"
          + ".figure>div{flex:0 0 auto}code{font-size:90%}.failure{border:2px solid #a11;padding:0 1em 1em;"
          + "margin:1em 0;border-radius:4px}.outcomes td:first-child{font-weight:bold;white-space:nowrap}"
          + ".legend span{display:inline-block;width:14px;height:12px;margin:0 4px 0 12px;vertical-align:middle}";

  private HtmlReport() {}

  /** Writes {@code index.html} into {@code directory} (created if needed); returns its path. */
  public static Path write(Report report, Path directory) throws IOException {
    Files.createDirectories(directory);
    Path index = directory.resolve("index.html");
    // Links to proofs/ are relative to the repository root (the working directory), wherever DIR is.
    Path root = directory.toAbsolutePath().normalize().relativize(Path.of("").toAbsolutePath().normalize());
    String base = root.toString().isEmpty() ? "./" : root.toString().replace('\\', '/') + "/";
    Files.writeString(index, render(report, base), StandardCharsets.UTF_8);
    return index;
  }

  /** The report as one page; relative links resolve against {@code base} (the repository root seen from the page). */
  public static String render(Report report, String base) {
    StringBuilder html = head(report.title(), base);
    html.append("<h1>").append(esc(report.title())).append("</h1>\n");
    int failed = report.failedClaims();
    html.append("<p id=\"verdict\" class=\"").append(failed == 0 ? "held" : "failed").append("\">")
        .append(report.claims().size()).append(report.claims().size() == 1 ? " claim, " : " claims, ").append(failed)
        .append(" failed</p>\n");
    // Failures first: a reader of a failing report wants the failure, not the catalogue.
    failures(html, report);
    claims(html, report);
    invariants(html, report);
    coverage(html, report);
    benchmarks(html, report);
    return html.append("</body></html>\n").toString();
  }

  private static void claims(StringBuilder html, Report report) {
    html.append("<h2>Claims</h2>\n<table id=\"claims\"><tr><th>claim</th><th>evidence</th><th>result</th>"
        + "<th>time</th><th>detail</th></tr>\n");
    for (Report.Claim claim : report.claims()) {
      html.append("<tr><td>").append(esc(claim.claim())).append("</td><td>").append(esc(claim.evidence()))
          .append("</td><td class=\"").append(claim.held() ? "held\">held" : "failed\">FAILED")
          .append("</td><td>").append(String.format(Locale.ROOT, "%.1f s", claim.seconds()))
          .append("</td><td>").append(prose(claim.detail())).append("</td></tr>\n");
    }
    html.append("</table>\n");
  }

  private static void invariants(StringBuilder html, Report report) {
    if (report.invariants().isEmpty()) {
      return; // a run's report, not check's: no catalogue to show
    }
    html.append("<h2>Invariant catalogue</h2>\n<table id=\"invariants\"><tr><th>id</th><th>statement</th>"
        + "<th>evidence</th></tr>\n");
    for (Report.Invariant invariant : report.invariants()) {
      html.append("<tr><td><code>").append(esc(invariant.id())).append("</code></td><td>")
          .append(prose(invariant.statement())).append("</td><td>").append(prose(invariant.evidence()))
          .append("</td></tr>\n");
    }
    html.append("</table>\n");
  }

  private static void coverage(StringBuilder html, Report report) {
    if (report.coverage().isEmpty()) {
      return;
    }
    html.append("<h2>Input-space coverage</h2>\n");
    html.append("<p>Cells of the page-fault handler's input space reached by the examples and the campaign"
        + " (<code>./shadowref coverage</code>; unreachable cells and why: " + prose("proofs/coverage.md") + ").</p>\n"
        + "<table id=\"coverage\"><tr><th>group</th><th>reached</th><th>missed</th><th>unreachable</th>"
        + "<th>missed cells</th></tr>\n");
    for (Report.CoverageGroup group : report.coverage()) {
      int missed = group.reachable() - group.reached();
      html.append("<tr><td><code>").append(esc(group.id())).append("</code> ").append(esc(group.title()))
          .append("</td><td>").append(group.reached()).append(" of ").append(group.reachable())
          .append("</td><td class=\"").append(missed == 0 ? "held" : "failed").append("\">").append(missed)
          .append("</td><td>").append(group.unreachable()).append("</td><td>")
          .append(esc(String.join("; ", group.missed()))).append("</td></tr>\n");
    }
    html.append("</table>\n");
    for (Report.CoverageGroup group : report.coverage()) {
      html.append("<details><summary><code>").append(esc(group.id())).append("</code> matrix</summary><pre>")
          .append(esc(group.matrix())).append("</pre></details>\n");
    }
  }

  private static void benchmarks(StringBuilder html, Report report) {
    if (report.benchmarks().isEmpty()) {
      return; // check charts proofs/benchmarks.json when it exists; a run has no figures
    }
    html.append("<h2>Benchmarks</h2>\n");
    if (!report.benchmarkSource().isEmpty()) {
      html.append("<p id=\"benchmark-source\">").append(esc(report.benchmarkSource())).append("</p>\n");
    }
    html.append("<table id=\"benchmarks\"><tr><th>workload</th><th>mode</th><th>reference/s</th>"
        + "<th>optimized/s</th><th>speedup</th></tr>\n");
    for (Report.Benchmark b : report.benchmarks()) {
      html.append(String.format(Locale.ROOT,
          "<tr><td>%s</td><td>%s</td><td>%.0f</td><td>%.0f</td><td>%.1f&times;</td></tr>%n",
          esc(b.workload()), esc(b.mode()), b.referencePerSecond(), b.optimizedPerSecond(), b.speedup()));
    }
    html.append("</table>\n").append(barChart(report)).append('\n');
  }

  /** Horizontal bars, one pair per workload and mode, on a shared linear scale. */
  private static String barChart(Report report) {
    double max = 1;
    for (Report.Benchmark b : report.benchmarks()) {
      max = Math.max(max, Math.max(b.referencePerSecond(), b.optimizedPerSecond()));
    }
    int rowHeight = 34;
    int height = 30 + rowHeight * report.benchmarks().size();
    StringBuilder svg = new StringBuilder(String.format(Locale.ROOT,
        "<svg id=\"benchmark-chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"760\" height=\"%d\" "
            + "font-family=\"sans-serif\" font-size=\"11\">%n", height));
    svg.append("<rect x=\"200\" y=\"4\" width=\"10\" height=\"10\" fill=\"#8da0cb\"/><text x=\"214\" y=\"13\">reference</text>")
        .append("<rect x=\"290\" y=\"4\" width=\"10\" height=\"10\" fill=\"#fc8d62\"/><text x=\"304\" y=\"13\">optimized</text>\n");
    int y = 24;
    for (Report.Benchmark b : report.benchmarks()) {
      int ref = (int) Math.round(480 * b.referencePerSecond() / max);
      int opt = (int) Math.round(480 * b.optimizedPerSecond() / max);
      svg.append(String.format(Locale.ROOT,
          "<text x=\"4\" y=\"%d\">%s (%s)</text><rect x=\"200\" y=\"%d\" width=\"%d\" height=\"12\" fill=\"#8da0cb\"/>"
              + "<rect x=\"200\" y=\"%d\" width=\"%d\" height=\"12\" fill=\"#fc8d62\"/>"
              + "<text x=\"%d\" y=\"%d\">%.1f&#215;</text>%n",
          y + 16, esc(b.workload()), esc(b.mode()), y, Math.max(ref, 1), y + 14, Math.max(opt, 1),
          206 + Math.max(ref, opt), y + 24, b.speedup()));
      y += rowHeight;
    }
    return svg.append("</svg>").toString();
  }

  private static void failures(StringBuilder html, Report report) {
    html.append("<h2 id=\"failures\">Failures</h2>\n");
    if (report.failures().isEmpty()) {
      html.append(report.failedClaims() == 0 ? "<p id=\"no-failures\">No failures.</p>\n"
          : "<p class=\"failed\">" + report.failedClaims() + " claims failed; see their details below.</p>\n");
      return;
    }
    for (Report.Failure failure : report.failures()) {
      figure(html, failure);
    }
  }

  /** A page with one figure: guest tree beside shadow tree (what {@code shadowref render} writes). */
  public static String figurePage(Report.Failure figure) {
    StringBuilder html = head(figure.title(), "");
    figure(html, figure);
    return html.append("</body></html>\n").toString();
  }

  /** A self-contained page's opening, up to {@code <body>}: title and the one style sheet. */
  private static StringBuilder head(String title, String base) {
    return new StringBuilder("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
        .append(base.isEmpty() ? "" : "<base href=\"" + esc(base) + "\">").append("<title>")
        .append(esc(title)).append("</title><style>").append(STYLE).append("</style></head><body>\n");
  }

  private static void figure(StringBuilder html, Report.Failure figure) {
    html.append("<section class=\"failure\"><h3>").append(esc(figure.title())).append("</h3>\n");
    html.append("<table class=\"outcomes\">");
    row(html, "claim", figure.claim());
    row(html, "expected", figure.expected());
    row(html, "actual", figure.actual());
    if (!figure.replay().isEmpty()) {
      html.append("<tr><td>replay</td><td><code>").append(esc(figure.replay())).append("</code></td></tr>");
    }
    html.append("</table>\n<p>").append(prose(figure.explanation())).append("</p>\n");
    if (figure.drawn()) {
      html.append("<p class=\"legend\">");
      for (TableTreeSvg.Mark mark : TableTreeSvg.Mark.values()) {
        boolean outline = mark == TableTreeSvg.Mark.DECIDING;
        html.append("<span style=\"").append(outline ? "border:2.5px solid " : "background:").append(mark.colour())
            .append("\"></span>").append(switch (mark) {
              case WALK -> "the walk of the step's address";
              case STALE -> "a shadow entry that is not the propagation of its guest entry";
              case DECIDING -> "the entry where the walk stopped (it decided the outcome)";
            });
      }
      html.append("</p>\n<div class=\"figure\"><div><h4>guest tables</h4>").append(figure.guestSvg())
          .append("</div><div><h4>shadow tables</h4>").append(figure.shadowSvg()).append("</div></div>\n");
    }
    html.append("</section>\n");
  }

  private static void row(StringBuilder html, String name, String value) {
    if (!value.isEmpty()) {
      html.append("<tr><td>").append(name).append("</td><td>").append(prose(value)).append("</td></tr>");
    }
  }

  /**
   * Text written for a terminal, shown as HTML: {@code `code`} spans become code, and a
   * {@code proofs/....md} reference becomes a link to the page (relative to the repository root:
   * the page's base, see {@link #write}).
   */
  static String prose(String raw) {
    String escaped = esc(raw);
    escaped = escaped.replaceAll("`([^`]+)`", "<code>$1</code>");
    return escaped.replaceAll("(?<![\\w/.])(proofs/[A-Za-z0-9_./-]+\\.md)", "<a href=\"$1\">$1</a>");
  }

  private static String esc(String raw) {
    return TableTreeSvg.escape(raw);
  }
}
