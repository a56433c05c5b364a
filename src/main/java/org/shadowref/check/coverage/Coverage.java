package org.shadowref.check.coverage;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * How often each cell of {@link CoverageModel} was reached. The shards of a parallel campaign
 * record into one instance from several threads, so the counts are atomic.
 */
public final class Coverage {
  /** The four counts of a matrix: every cell is reached, missed or unreachable. */
  public record Totals(int cells, int reached, int unreachable, int missed) {}

  private final AtomicLongArray hits = new AtomicLongArray(CoverageModel.cells());

  /** Counts one observation of cell {@code cell} (a global index from a {@link Grid}). */
  public void hit(int cell) {
    hits.incrementAndGet(cell);
  }

  public boolean reached(int cell) {
    return hits.get(cell) > 0;
  }

  /**
   * The totals. A cell declared unreachable that was reached anyway counts as reached (and
   * {@link #contradictions} names it: the model is wrong there).
   */
  public Totals totals() {
    int reached = 0;
    int unreachable = 0;
    int missed = 0;
    for (Grid grid : CoverageModel.grids()) {
      for (int local = 0; local < grid.size(); local++) {
        if (hits.get(grid.offset() + local) > 0) {
          reached++;
        } else if (grid.unreachable(local) != null) {
          unreachable++;
        } else {
          missed++;
        }
      }
    }
    return new Totals(hits.length(), reached, unreachable, missed);
  }

  /** Every reachable cell not reached, as {@code group: cell}. */
  public List<String> missed() {
    List<String> out = new ArrayList<>();
    for (Grid grid : CoverageModel.grids()) {
      for (int local = 0; local < grid.size(); local++) {
        if (hits.get(grid.offset() + local) == 0 && grid.unreachable(local) == null) {
          out.add(grid.id() + ": " + grid.name(local));
        }
      }
    }
    return out;
  }

  /** Cells declared unreachable that a run reached: the declaration is wrong. */
  public List<String> contradictions() {
    List<String> out = new ArrayList<>();
    for (Grid grid : CoverageModel.grids()) {
      for (int local = 0; local < grid.size(); local++) {
        if (hits.get(grid.offset() + local) > 0 && grid.unreachable(local) != null) {
          out.add(grid.id() + ": " + grid.name(local));
        }
      }
    }
    return out;
  }
}
