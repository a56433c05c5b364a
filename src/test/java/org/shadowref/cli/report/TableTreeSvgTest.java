package org.shadowref.cli.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.shadowref.arch.Addr;
import org.shadowref.arch.EntryBits;
import org.shadowref.arch.PagingMode;
import org.shadowref.memory.GuestPhysicalMemory;
import org.shadowref.memory.MachineMemory;
import org.shadowref.memory.P2m;
import org.shadowref.mmu.GuestTables;
import org.shadowref.mmu.PageTableBuilder;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

class TableTreeSvgTest {
  private static final long FLAGS = EntryBits.P | EntryBits.RW | EntryBits.US | EntryBits.A;

  private final MachineMemory machine = new MachineMemory(32);
  private final P2m p2m = new P2m(32);
  private final GuestPhysicalMemory memory = new GuestPhysicalMemory(machine, p2m);
  private long nextGfn = 1;

  @Test
  void drawsEachTableOnceWithArrowsAndHighlightsTheChosenEntries() throws Exception {
    for (int gfn = 0; gfn < 32; gfn++) {
      p2m.mapRam(Addr.gfn(gfn), Addr.mfn(gfn), true);
    }
    PageTableBuilder tables = new PageTableBuilder(memory, PagingMode.FOUR_LEVEL, () -> Addr.gfn(nextGfn++));
    tables.map(Addr.gva(0x1000), Addr.gpa(0x20_000), 1, FLAGS, FLAGS);
    tables.map(Addr.gva(0x2000), Addr.gpa(0x21_000), 1, FLAGS, FLAGS);
    // A recursive self-map in the last PML4 slot: drawn as an arrow back to the root, not a loop.
    tables.setEntry(Addr.gva(0xFFFF_FF80_0000_0000L), 4, tables.root() | FLAGS);
    long hot = tables.entryAddressFor(Addr.gva(0x2000), 1);

    long walked = tables.entryAddressFor(Addr.gva(0x2000), 2);
    Map<Long, Set<TableTreeSvg.Mark>> marks = Map.of(hot, EnumSet.of(TableTreeSvg.Mark.STALE, TableTreeSvg.Mark.DECIDING),
        walked, EnumSet.of(TableTreeSvg.Mark.WALK));
    String svg = new TableTreeSvg(new GuestTables(memory), PagingMode.FOUR_LEVEL, 40, false, marks, 50, 40)
        .render("guest <tables>", tables.root(), "gpa");

    Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder()
        .parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
    NodeList groups = doc.getElementsByTagName("g");
    assertEquals(4, groups.getLength(), "PML4, PDPT, PD and PT, each once");
    assertEquals(4, doc.getElementsByTagName("line").getLength(), "three links down and the self-map");
    NodeList rects = doc.getElementsByTagName("rect");
    int diffs = 0;
    for (int i = 0; i < rects.getLength(); i++) {
      if ("diff".equals(((Element) rects.item(i)).getAttribute("class"))) {
        diffs++;
      }
    }
    assertEquals(1, diffs);
    // Each mark its own style: the stale entry red, the walked one blue, the deciding one outlined.
    assertEquals(1, count(svg, "class=\"diff\""));
    assertEquals(1, count(svg, "class=\"walk\""));
    assertEquals(1, count(svg, "class=\"deciding\""));
    assertTrue(svg.contains("guest &lt;tables&gt;"), "titles are escaped");
    assertTrue(svg.contains("[002] 0x21000 P|RW|US|A"), svg);
  }

  private static int count(String haystack, String needle) {
    int count = 0;
    for (int i = haystack.indexOf(needle); i >= 0; i = haystack.indexOf(needle, i + 1)) {
      count++;
    }
    return count;
  }
}
