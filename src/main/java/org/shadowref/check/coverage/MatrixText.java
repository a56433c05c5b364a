package org.shadowref.check.coverage;

import java.util.List;
import java.util.Locale;

/**
 * The matrix as plain text for a terminal: one block per group, its last dimension across and
 * the others down, each cell {@code #} reached, {@code .} missed, {@code -} unreachable, {@code !}
 * declared unreachable yet reached. Rows with no reachable cell are left out (proofs/coverage.md
 * lists them with their reasons).
 */
public final class MatrixText {
  public static final String LEGEND = "# reached   . missed   - unreachable (proofs/coverage.md)   ! declared unreachable, yet reached";

  private MatrixText() {}

  public static String render(Coverage coverage) {
    StringBuilder out = new StringBuilder();
    out.append(LEGEND).append('\n');
    for (Grid grid : CoverageModel.grids()) {
      out.append('\n').append(grid(coverage, grid));
    }
    return out.toString();
  }

  /** One group's heading and block. */
  public static String grid(Coverage coverage, Grid grid) {
    int reached = 0;
    int reachable = 0;
    for (int local = 0; local < grid.size(); local++) {
      boolean possible = grid.unreachable(local) == null;
      reachable += possible ? 1 : 0;
      reached += possible && coverage.reached(grid.offset() + local) ? 1 : 0;
    }
    StringBuilder out = new StringBuilder(String.format(Locale.ROOT, "%s: %s  [%d of %d reachable cells reached]%n",
        grid.id(), grid.title(), reached, reachable));
    List<Grid.Dim> dims = grid.dims();
    List<String> columns = dims.size() == 1 ? List.of("") : dims.get(dims.size() - 1).values();
    int perRow = columns.size();
    int rows = grid.size() / perRow;
    String[] labels = new String[rows];
    int labelWidth = 0;
    for (int row = 0; row < rows; row++) {
      labels[row] = rowLabel(grid, row * perRow, dims.size() == 1 ? 1 : dims.size() - 1);
      labelWidth = Math.max(labelWidth, labels[row].length());
    }
    if (dims.size() > 1) {
      out.append("  ").append(" ".repeat(labelWidth));
      for (String column : columns) {
        out.append(" | ").append(column);
      }
      out.append('\n');
    }
    for (int row = 0; row < rows; row++) {
      StringBuilder line = new StringBuilder("  ").append(pad(labels[row], labelWidth));
      boolean any = false;
      for (int c = 0; c < perRow; c++) {
        int local = row * perRow + c;
        boolean possible = grid.unreachable(local) == null;
        boolean hit = coverage.reached(grid.offset() + local);
        any |= possible;
        char mark = hit ? (possible ? '#' : '!') : possible ? '.' : '-';
        int width = Math.max(1, columns.get(c).length());
        line.append(" | ").append(pad(String.valueOf(mark), width));
      }
      if (any || line.indexOf("!") >= 0) {
        out.append(line.toString().stripTrailing()).append('\n');
      }
    }
    return out.toString();
  }

  private static String rowLabel(Grid grid, int local, int dims) {
    int[] at = grid.ordinals(local);
    StringBuilder label = new StringBuilder();
    for (int d = 0; d < dims; d++) {
      label.append(d == 0 ? "" : " / ").append(grid.dims().get(d).values().get(at[d]));
    }
    return label.toString();
  }

  private static String pad(String text, int width) {
    return text.length() >= width ? text : text + " ".repeat(width - text.length());
  }
}
