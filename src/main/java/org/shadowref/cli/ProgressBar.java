package org.shadowref.cli;

import java.io.PrintWriter;
import java.util.Locale;
import org.shadowref.check.suite.Progress;

/**
 * A progress bar for one long step. On a terminal it redraws one line in place; otherwise (CI
 * logs, pipes) it prints a line at each quarter and once a minute, so logs stay short.
 */
final class ProgressBar implements Progress {
  private static final int WIDTH = 30;
  /** Off a terminal, a long run still logs a line this often, so a CI log shows it is alive. */
  private static final long LOG_INTERVAL_NANOS = 60_000_000_000L;

  private final PrintWriter out;
  private final String label;
  private final boolean terminal;
  private int lastQuarter = -1;
  private long lastDraw;

  ProgressBar(PrintWriter out, String label, boolean terminal) {
    this.out = out;
    this.label = label;
    this.terminal = terminal;
  }

  @Override
  public void update(String step, double fraction) {
    double clamped = Math.max(0, Math.min(1, fraction));
    if (terminal) {
      long now = System.nanoTime();
      if (now - lastDraw < 100_000_000L) {
        return;
      }
      lastDraw = now;
      int filled = (int) Math.round(clamped * WIDTH);
      out.print(String.format(Locale.ROOT, "\r%-28s [%s%s] %3.0f%% %-40s", label, "#".repeat(filled),
          " ".repeat(WIDTH - filled), clamped * 100, step));
      out.flush();
      return;
    }
    int quarter = (int) (clamped * 4);
    long now = System.nanoTime();
    if (quarter > lastQuarter || now - lastDraw > LOG_INTERVAL_NANOS) {
      lastQuarter = quarter;
      lastDraw = now;
      out.println(String.format(Locale.ROOT, "  %s: %3.0f%% %s", label, clamped * 100, step));
      out.flush();
    }
  }

  /** {@code done/total UNIT, R UNIT/s, ETA ...} from the work done since {@code startNanos}. */
  static String rate(long done, long total, long startNanos, String unit) {
    double seconds = Math.max(1e-9, (System.nanoTime() - startNanos) / 1e9);
    double perSecond = done / seconds;
    String eta = done == 0 ? "?" : duration((total - done) / perSecond);
    return String.format(Locale.ROOT, "%d/%d %s, %.0f %s/s, ETA %s", done, total, unit, perSecond, unit, eta);
  }

  private static String duration(double seconds) {
    long s = Math.round(seconds);
    return s >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", s / 3600, s / 60 % 60)
        : s >= 60 ? String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60) : s + "s";
  }

  /** Clears the bar's line on a terminal. */
  void finish() {
    if (terminal) {
      out.print("\r" + " ".repeat(WIDTH + 80) + "\r");
      out.flush();
    }
  }
}
