package org.shadowref.cli.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.shadowref.check.trace.Scenario;
import org.shadowref.check.trace.ScenarioReader;
import org.shadowref.emulate.InstructionExecutor;
import org.shadowref.shadow.GuestOp;
import org.shadowref.shadow.core.SeededBug;
import org.shadowref.shadow.reference.ReferenceEngine;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

class TreePictureTest {
  private static final InstructionExecutor NONE = (state, code, memory, user) -> {
    throw new AssertionError("no instructions in this scenario");
  };

  private static ReferenceEngine runUpTo(ReferenceEngine.Config config, int lastStep) throws Exception {
    Scenario scenario = ScenarioReader.read(Path.of("examples/09-page-table-write.yaml"));
    ReferenceEngine engine = new ReferenceEngine(scenario.world().build(), config, NONE, NONE);
    for (int i = 0; i <= lastStep; i++) {
      engine.apply(scenario.ops().get(i));
    }
    return engine;
  }

  private static int diffRows(String svg) throws Exception {
    return rows(svg, "diff");
  }

  /** Rows drawn with the mark whose class is {@code cssClass}. */
  private static int rows(String svg, String cssClass) throws Exception {
    Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder()
        .parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
    NodeList rects = doc.getElementsByTagName("rect");
    int diffs = 0;
    for (int i = 0; i < rects.getLength(); i++) {
      if (cssClass.equals(((Element) rects.item(i)).getAttribute("class"))) {
        diffs++;
      }
    }
    assertEquals(2, countTrees(doc), "guest tree and shadow tree");
    return diffs;
  }

  private static int countTrees(Document doc) {
    NodeList svgs = doc.getElementsByTagName("svg");
    int trees = 0;
    for (int i = 0; i < svgs.getLength(); i++) {
      if ("table-tree".equals(((Element) svgs.item(i)).getAttribute("class"))) {
        trees++;
      }
    }
    return trees;
  }

  @Test
  void aCoherentEngineShowsOnlyTheWalkPathsOfTheFocus() throws Exception {
    ReferenceEngine engine = runUpTo(ReferenceEngine.Config.DEFAULT, 2);
    String svg = TreePicture.draw(engine, 0, 0x400000L, "step 2");
    assertEquals(8, rows(svg, "walk"), "four guest levels and four shadow levels on the walk of 0x400000");
    assertEquals(2, rows(svg, "deciding"), "each walk stops at one entry: the leaf");
    assertEquals(0, diffRows(svg), "a coherent engine has no stale entry");
    assertTrue(TreePicture.staleShadowEntries(engine).isEmpty());
  }

  @Test
  void aStaleShadowEntryIsHighlightedWhereTheEngineForgotToRevalidate() throws Exception {
    ReferenceEngine engine = runUpTo(ReferenceEngine.Config.DEFAULT.withBug(SeededBug.SKIP_REVALIDATE), 1);
    assertEquals(1, TreePicture.staleShadowEntries(engine).size(), "the l1e the emulated write left behind");
    String svg = TreePicture.draw(engine, 0, null, "after the unrevalidated write");
    assertEquals(1, diffRows(svg));
    assertTrue(((GuestOp.MemoryAccess) ScenarioReader.read(Path.of("examples/09-page-table-write.yaml")).ops().get(1))
        .va() == 0x600000L);
  }
}
