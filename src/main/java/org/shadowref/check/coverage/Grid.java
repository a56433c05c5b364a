package org.shadowref.check.coverage;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * One group of cells: the product of a few dimensions, each a short list of classes. A cell is
 * addressed by one ordinal per dimension; cells that no guest can reach carry the reason why.
 */
public final class Grid {
  /** One dimension: its name and its classes, in order. */
  public record Dim(String name, List<String> values) {
    public Dim {
      values = List.copyOf(values);
    }

    /** A dimension whose classes are {@code values}' names, lower case, dashes for underscores. */
    public static Dim of(String name, Enum<?>[] values) {
      List<String> labels = new ArrayList<>();
      for (Enum<?> value : values) {
        labels.add(label(value));
      }
      return new Dim(name, labels);
    }

    static String label(Enum<?> value) {
      String text = value.toString();
      return text.equals(value.name()) ? text.toLowerCase(Locale.ROOT).replace('_', '-') : text;
    }
  }

  /** Says why the cell at {@code at} (one ordinal per dimension) cannot be reached, or null. */
  public interface Rule {
    @Nullable String unreachable(int[] at);
  }

  private final String id;
  private final String title;
  private final String observed;
  private final List<Dim> dims;
  private final int offset;
  private final int size;
  private final @Nullable String[] reasons;

  Grid(String id, String title, String observed, int offset, Rule rule, Dim... dims) {
    this.id = id;
    this.title = title;
    this.observed = observed;
    this.dims = List.of(dims);
    this.offset = offset;
    int cells = 1;
    for (Dim dim : dims) {
      cells *= dim.values().size();
    }
    this.size = cells;
    this.reasons = new String[cells];
    for (int local = 0; local < cells; local++) {
      reasons[local] = rule.unreachable(ordinals(local));
    }
  }

  public String id() {
    return id;
  }

  public String title() {
    return title;
  }

  /** How the classifier sees these cells (from outside, or through which engine hook). */
  public String observed() {
    return observed;
  }

  public List<Dim> dims() {
    return dims;
  }

  /** The global index of this grid's first cell. */
  public int offset() {
    return offset;
  }

  public int size() {
    return size;
  }

  /** The global index of the cell at these ordinals (one per dimension, in order). */
  public int cell(int a) {
    return offset + a;
  }

  public int cell(int a, int b) {
    return offset + a * radix(1) + b;
  }

  public int cell(int a, int b, int c) {
    return offset + (a * radix(1) + b) * radix(2) + c;
  }

  public int cell(int a, int b, int c, int d) {
    return offset + ((a * radix(1) + b) * radix(2) + c) * radix(3) + d;
  }

  private int radix(int dim) {
    return dims.get(dim).values().size();
  }

  /** The ordinals of local cell {@code local}, one per dimension. */
  public int[] ordinals(int local) {
    int[] at = new int[dims.size()];
    int rest = local;
    for (int d = dims.size() - 1; d >= 0; d--) {
      at[d] = rest % radix(d);
      rest /= radix(d);
    }
    return at;
  }

  /** Why local cell {@code local} cannot be reached, or null when it can. */
  public @Nullable String unreachable(int local) {
    return reasons[local];
  }

  /** The cell's name: its classes joined by " / ". */
  public String name(int local) {
    int[] at = ordinals(local);
    StringBuilder name = new StringBuilder();
    for (int d = 0; d < at.length; d++) {
      name.append(d == 0 ? "" : " / ").append(dims.get(d).values().get(at[d]));
    }
    return name.toString();
  }
}
