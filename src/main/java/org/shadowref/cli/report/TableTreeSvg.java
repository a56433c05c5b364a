package org.shadowref.cli.report;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.shadowref.arch.Addr;
import org.shadowref.arch.EntryBits;
import org.shadowref.arch.PagingMode;
import org.shadowref.mmu.PageTableMemory;
import org.shadowref.mmu.Walker;

/**
 * Draws a page-table tree as SVG: one column per level (the root on the left), one box per
 * table listing its present entries, an arrow from each directory entry to the table it points
 * at. Shared tables and self-maps are drawn once, with every arrow that reaches them. Entries are
 * marked by what they are to the step drawn ({@link Mark}), each mark its own style, so a reader
 * tells a bug from a normal walk.
 */
public final class TableTreeSvg {
  /** What an entry is to the step drawn; an entry may be several. */
  public enum Mark {
    /** Read by the walk of the step's address: filled blue. */
    WALK("walk", "#bcd4f6"),
    /** A shadow entry that is not the propagation of its guest entry: filled red. */
    STALE("diff", "#f4a6a6"),
    /**
     * The entry where the walk stopped (the leaf, or the entry not present or with reserved bits
     * set), which decided the outcome: outlined in thick orange.
     */
    DECIDING("deciding", "#e07b00");

    private final String cssClass;
    private final String colour;

    Mark(String cssClass, String colour) {
      this.cssClass = cssClass;
      this.colour = colour;
    }

    /** The class the entry's mark carries in the SVG (tests and style sheets find marks by it). */
    public String cssClass() {
      return cssClass;
    }

    /** The colour the mark is drawn in (the report's legend uses the same). */
    public String colour() {
      return colour;
    }
  }

  // A box fits an entry's widest line (34 monospace characters); two 4-level trees fit side by side in 2,100 pixels.
  private static final int COLUMN_WIDTH = 250;
  private static final int BOX_WIDTH = 228;
  private static final int ROW_HEIGHT = 16;
  private static final int HEADER_HEIGHT = 20;
  private static final int GAP = 14;
  private static final int MARGIN = 10;

  private final PageTableMemory memory;
  private final PagingMode mode;
  private final int maxPhysAddr;
  private final boolean pse;
  private final Map<Long, Set<Mark>> marks;
  private final int maxTables;
  private final int maxRowsPerTable;

  private final Map<Long, Node> nodes = new HashMap<>();
  private final List<Node> order = new ArrayList<>();
  private final int[] columnHeight = new int[5];

  /** One table in the drawing. */
  private static final class Node {
    final long address;
    final int level;
    final List<Row> rows = new ArrayList<>();
    int hiddenRows;
    int x;
    int y;

    Node(long address, int level) {
      this.address = address;
      this.level = level;
    }

    int height() {
      return HEADER_HEIGHT + ROW_HEIGHT * (rows.size() + (hiddenRows > 0 ? 1 : 0)) + 4;
    }
  }

  /** One present entry; {@code child} is the table it points at, if drawn. */
  private static final class Row {
    final int index;
    final long entryAddress;
    final long value;
    final boolean leaf;
    long child = -1;

    Row(int index, long entryAddress, long value, boolean leaf) {
      this.index = index;
      this.entryAddress = entryAddress;
      this.value = value;
      this.leaf = leaf;
    }
  }

  /**
   * A drawing of the tables in {@code memory}, read as {@code mode} tables.
   *
   * @param marks entry addresses (table address + index * entry size) and what each is to the step
   * @param maxTables tables drawn at most; the rest are left out and counted in the caption
   */
  public TableTreeSvg(
      PageTableMemory memory,
      PagingMode mode,
      int maxPhysAddr,
      boolean pse,
      Map<Long, Set<Mark>> marks,
      int maxTables,
      int maxRowsPerTable) {
    this.memory = memory;
    this.mode = mode;
    this.maxPhysAddr = maxPhysAddr;
    this.pse = pse;
    this.marks = marks;
    this.maxTables = maxTables;
    this.maxRowsPerTable = maxRowsPerTable;
  }

  /** The drawing of the tree under {@code root}, titled {@code title}; {@code space} names addresses (gpa, maddr). */
  public String render(String title, long root, String space) {
    nodes.clear();
    order.clear();
    java.util.Arrays.fill(columnHeight, MARGIN + 24);
    int leftOut = visit(root, mode.levels());
    StringBuilder svg = new StringBuilder();
    int width = MARGIN * 2 + COLUMN_WIDTH * mode.levels();
    int height = 40;
    for (int h : columnHeight) {
      height = Math.max(height, h + MARGIN);
    }
    svg.append(String.format(Locale.ROOT,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
            + "font-family=\"monospace\" font-size=\"11\" class=\"table-tree\">%n", width, height, width, height));
    svg.append("<defs><marker id=\"arrow\" markerWidth=\"8\" markerHeight=\"8\" refX=\"7\" refY=\"4\" orient=\"auto\">"
        + "<path d=\"M0,0 L8,4 L0,8 z\" fill=\"#555\"/></marker></defs>\n");
    svg.append(text(MARGIN, MARGIN + 12, "bold", title + (leftOut > 0 ? " (" + leftOut + " tables not drawn)" : "")));
    for (Node node : order) {
      drawEdges(svg, node);
    }
    for (Node node : order) {
      drawNode(svg, node, space);
    }
    return svg.append("</svg>\n").toString();
  }

  /** Lays out the table at {@code address} and everything below it; returns tables left out. */
  private int visit(long address, int level) {
    if (nodes.containsKey(address)) {
      return 0;
    }
    if (nodes.size() >= maxTables) {
      return 1;
    }
    Node node = new Node(address, level);
    nodes.put(address, node);
    order.add(node);
    int entryBytes = mode.entryBytes();
    int present = 0;
    for (int index = 0; index < mode.entriesPerTable(level); index++) {
      long entryAddress = address + (long) index * entryBytes;
      long value = memory.readEntry(entryAddress, entryBytes);
      if ((value & EntryBits.P) == 0 && !marks.containsKey(entryAddress)) {
        continue;
      }
      present++;
      if (node.rows.size() >= maxRowsPerTable) {
        continue;
      }
      boolean leaf = level == 1 || ((value & EntryBits.PS) != 0 && mode.canMapLargePage(level, pse));
      node.rows.add(new Row(index, entryAddress, value, leaf || (value & EntryBits.P) == 0));
    }
    node.hiddenRows = present - node.rows.size();
    node.x = MARGIN + COLUMN_WIDTH * (mode.levels() - level);
    node.y = columnHeight[level];
    columnHeight[level] += node.height() + GAP;
    int leftOut = 0;
    for (Row row : node.rows) {
      if (!row.leaf && level > 1) {
        row.child = Walker.tableFrame(mode, row.value, maxPhysAddr);
        leftOut += visit(row.child, level - 1);
      }
    }
    return leftOut;
  }

  private void drawNode(StringBuilder svg, Node node, String space) {
    svg.append(String.format(Locale.ROOT,
        "<g class=\"table\" data-address=\"%s\"><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
            + "fill=\"#f7f7f2\" stroke=\"#333\"/>%n",
        Addr.hex(node.address), node.x, node.y, BOX_WIDTH, node.height()));
    svg.append(text(node.x + 4, node.y + 14, "bold", "L" + node.level + " table @" + space + " " + Addr.hex(node.address)));
    int y = node.y + HEADER_HEIGHT;
    for (Row row : node.rows) {
      Set<Mark> mark = marks.getOrDefault(row.entryAddress, EnumSet.noneOf(Mark.class));
      // A stale entry on the walk is filled red: the bug matters more than the path.
      Mark fill = mark.contains(Mark.STALE) ? Mark.STALE : mark.contains(Mark.WALK) ? Mark.WALK : null;
      if (fill != null) {
        svg.append(String.format(Locale.ROOT,
            "<rect class=\"%s\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"/>%n",
            fill.cssClass(), node.x + 1, y, BOX_WIDTH - 2, ROW_HEIGHT, fill.colour()));
      }
      if (mark.contains(Mark.DECIDING)) {
        svg.append(String.format(Locale.ROOT,
            "<rect class=\"%s\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"%s\" "
                + "stroke-width=\"2.5\"/>%n",
            Mark.DECIDING.cssClass(), node.x + 2, y + 1, BOX_WIDTH - 4, ROW_HEIGHT - 2, Mark.DECIDING.colour()));
      }
      boolean hot = !mark.isEmpty();
      String target = Addr.hex(row.leaf ? row.value & EntryBits.ADDR_MASK_64 & ~0xFFFL : row.child);
      String label = String.format(Locale.ROOT, "[%03x] %s %s", row.index, target, EntryBits.describe(row.value));
      svg.append(text(node.x + 4, y + 12, hot ? "bold" : "normal", label));
      y += ROW_HEIGHT;
    }
    if (node.hiddenRows > 0) {
      svg.append(text(node.x + 4, y + 12, "normal", "… " + node.hiddenRows + " more present entries"));
    }
    svg.append("</g>\n");
  }

  private void drawEdges(StringBuilder svg, Node node) {
    int y = node.y + HEADER_HEIGHT;
    for (Row row : node.rows) {
      Node child = row.child < 0 ? null : nodes.get(row.child);
      if (child != null) {
        svg.append(String.format(Locale.ROOT,
            "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#555\" marker-end=\"url(#arrow)\"/>%n",
            node.x + BOX_WIDTH, y + ROW_HEIGHT / 2, child.x, child.y + HEADER_HEIGHT / 2));
      }
      y += ROW_HEIGHT;
    }
  }

  private static String text(int x, int y, String weight, String content) {
    return String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-weight=\"%s\">%s</text>%n", x, y, weight, escape(content));
  }

  static String escape(String raw) {
    return raw.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }
}
