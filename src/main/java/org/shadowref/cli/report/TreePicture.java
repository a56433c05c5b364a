package org.shadowref.cli.report;

import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.arch.Access;
import org.shadowref.arch.Addr;
import org.shadowref.arch.ControlRegisters;
import org.shadowref.arch.CpuModel;
import org.shadowref.arch.PagingMode;
import org.shadowref.check.spec.PropagationSpec;
import org.shadowref.mmu.GuestTables;
import org.shadowref.mmu.MachineTables;
import org.shadowref.mmu.PageTableMemory;
import org.shadowref.mmu.WalkResult;
import org.shadowref.mmu.Walker;
import org.shadowref.shadow.GuestMachine;
import org.shadowref.shadow.invariant.ShadowTable;
import org.shadowref.shadow.invariant.ShadowView;

/**
 * The picture of one moment of a shadowing engine: the guest's page-table tree beside the
 * shadow tree the hardware walks, for one vCPU. Marked ({@link TableTreeSvg.Mark}): the entries
 * on the walk of the address in question (in both trees), the entry where each walk stopped, and
 * every present shadow entry that differs from the propagation of its guest entry (a stale
 * shadow: where the engines part from the guest).
 */
public final class TreePicture {
  private static final int MAX_TABLES = 40;
  private static final int MAX_ROWS = 24;
  private static final int GAP = 24;

  private TreePicture() {}

  /** The guest tree and the shadow tree, each its own SVG. */
  public record Pair(String guest, String shadow) {}

  /** Both trees side by side as one SVG; {@code focus} is the VA whose walks are highlighted, if any. */
  public static String draw(ShadowView view, int vcpu, @Nullable Long focus, String caption) {
    Pair pair = pair(view, vcpu, focus);
    return sideBySide(pair.guest(), pair.shadow(), caption);
  }

  /** The two trees of {@link #draw}, apart. */
  public static Pair pair(ShadowView view, int vcpu, @Nullable Long focus) {
    GuestMachine guest = view.guest();
    ControlRegisters guestRegs = guest.vcpu(vcpu).regs();
    ControlRegisters hostRegs = view.hardwareRegs(vcpu);
    PagingMode hostMode = hostRegs.pagingMode();
    if (hostMode == null) {
      throw new IllegalStateException("the hardware of vcpu " + vcpu + " runs with paging off");
    }
    String guestSvg;
    PagingMode guestMode = guestRegs.pagingMode();
    if (guestMode == null) {
      guestSvg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"260\" height=\"40\" class=\"table-tree\">"
          + "<text x=\"10\" y=\"24\" font-family=\"monospace\" font-size=\"11\">guest paging is off (1:1 through the P2M)</text></svg>";
    } else {
      Map<Long, Set<TableTreeSvg.Mark>> guestMarks = new HashMap<>();
      if (focus != null) {
        markWalk(guestMarks, new GuestTables(guest.physical()), guestRegs, guest.cpu(), focus);
      }
      guestSvg = new TableTreeSvg(new GuestTables(guest.physical()), guestMode, guest.cpu().maxPhysAddr(),
          guestRegs.pse(), guestMarks, MAX_TABLES, MAX_ROWS)
          .render("guest tables, vcpu" + vcpu + " cr3=" + Addr.hex(guestRegs.cr3()), guestRegs.cr3(), "gpa");
    }
    Map<Long, Set<TableTreeSvg.Mark>> shadowMarks = new HashMap<>();
    for (long stale : staleShadowEntries(view)) {
      mark(shadowMarks, stale, TableTreeSvg.Mark.STALE);
    }
    if (focus != null) {
      markWalk(shadowMarks, new MachineTables(guest.machine()), hostRegs, view.hostCpu(), focus);
    }
    String shadowSvg = new TableTreeSvg(new MachineTables(guest.machine()), hostMode, view.hostCpu().maxPhysAddr(),
        false, shadowMarks, MAX_TABLES, MAX_ROWS)
        .render("shadow tables (" + hostMode.cliName() + "), root maddr " + Addr.hex(hostRegs.cr3()), hostRegs.cr3(), "maddr");
    return new Pair(guestSvg, shadowSvg);
  }

  /** Present shadow entries that are not what the specification of propagation allows for the current guest state. */
  static Set<Long> staleShadowEntries(ShadowView view) {
    Set<Long> stale = new HashSet<>();
    GuestMachine guest = view.guest();
    List<ShadowTable> tables = view.shadowTables();
    PropagationSpec spec = new PropagationSpec(view, tables, view::tableAt);
    for (ShadowTable table : tables) {
      long[] frames = table.mfns();
      for (int part = 0; part < frames.length; part++) {
        for (int index = 0; index < table.entriesPerFrame(); index++) {
          long address = Addr.maddrOf(Addr.mfn(frames[part]), (long) index * table.entryBytes());
          long entry = guest.machine().read(Addr.maddr(address), table.entryBytes());
          if ((entry & 1) != 0 && spec.violation(table, part, index, entry) != null) {
            stale.add(address);
          }
        }
      }
    }
    return stale;
  }

  /** Marks the entries a walk of {@code focus} reads, and the one where it stops (which decided it). */
  private static void markWalk(Map<Long, Set<TableTreeSvg.Mark>> marks, PageTableMemory tables, ControlRegisters regs,
      CpuModel cpu, long focus) {
    WalkResult walk = Walker.walk(tables, regs, cpu, Addr.gva(focus), Access.SUPERVISOR_READ, false);
    for (int level = walk.mode().levels(); level >= walk.stopLevel(); level--) {
      mark(marks, walk.entryAddress(level), TableTreeSvg.Mark.WALK);
    }
    mark(marks, walk.entryAddress(walk.stopLevel()), TableTreeSvg.Mark.DECIDING);
  }

  private static void mark(Map<Long, Set<TableTreeSvg.Mark>> marks, long entry, TableTreeSvg.Mark mark) {
    marks.computeIfAbsent(entry, address -> EnumSet.noneOf(TableTreeSvg.Mark.class)).add(mark);
  }

  private static String sideBySide(String left, String right, String caption) {
    int leftWidth = attribute(left, "width");
    int rightWidth = attribute(right, "width");
    int height = Math.max(attribute(left, "height"), attribute(right, "height")) + 30;
    int width = leftWidth + GAP + rightWidth;
    return String.format(Locale.ROOT,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" class=\"tree-picture\">%n"
            + "<text x=\"10\" y=\"18\" font-family=\"sans-serif\" font-size=\"13\" font-weight=\"bold\">%s</text>%n"
            + "<svg x=\"0\" y=\"26\">%s</svg>%n<svg x=\"%d\" y=\"26\">%s</svg>%n</svg>%n",
        width, height, TableTreeSvg.escape(caption), left.trim(), leftWidth + GAP, right.trim());
  }

  private static int attribute(String svg, String name) {
    int at = svg.indexOf(name + "=\"");
    if (at < 0) {
      return 0;
    }
    int start = at + name.length() + 2;
    return Integer.parseInt(svg.substring(start, svg.indexOf('"', start)));
  }
}
