package org.shadowref.cli.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.shadowref.arch.Addr;
import org.shadowref.arch.EntryBits;
import org.shadowref.arch.PagingMode;
import org.shadowref.memory.GuestPhysicalMemory;
import org.shadowref.memory.MachineMemory;
import org.shadowref.memory.P2m;
import org.shadowref.mmu.GuestTables;
import org.shadowref.mmu.PageTableBuilder;

/**
 * Opens a report in headless Chromium: it must render (a screenshot with real content) and
 * Chromium's DOM must hold the key elements. On CI (CI set) a missing Chromium is a failure;
 * .ci/run installs it.
 */
class HtmlReportRenderTest {
  @TempDir Path dir;

  @Test
  void reportRendersInHeadlessChromiumWithItsKeyElements() throws Exception {
    String chromium = findChromium();
    if (System.getenv("CI") == null) {
      Assumptions.assumeTrue(chromium != null, "no Chromium on this machine");
    }
    assertTrue(chromium != null, "CI must have Chromium (.ci/run installs it)");

    Path index = HtmlReport.write(sampleReport(), dir.resolve("report"));
    Path png = dir.resolve("shot.png");
    run(chromium, "--screenshot=" + png, "--window-size=1280,1800", index.toUri().toString());
    BufferedImage image = ImageIO.read(png.toFile());
    assertTrue(image.getWidth() > 100 && image.getHeight() > 100);
    assertTrue(distinctColours(image) > 20, "the screenshot shows real content, not a blank page");

    String dom = run(chromium, "--dump-dom", index.toUri().toString());
    for (String key : List.of("id=\"claims\"", "id=\"invariants\"", "id=\"benchmark-chart\"",
        "class=\"failure\"", "class=\"diff\"", "INV-WRITE-PROTECT", "1 failed")) {
      assertTrue(dom.contains(key), "rendered DOM lacks " + key);
    }
    assertEquals(2, count(dom, "class=\"table-tree\""), "guest and shadow drawings");
  }

  /**
   * A real engine divergence, drawn: the reference engine with a seeded bug (it does not
   * revalidate the shadow of a page-table entry the guest rewrote) runs example 09, and its report
   * is opened in Chromium. The failure comes first, with native's outcome and the invariant the
   * engine broke, the command that replays it, the legend, and the stale shadow entry marked in
   * red; a screenshot of the top of the page shows that red mark and the failure's frame.
   */
  @Test
  void aFailingReportShowsTheFailureFirstWithTheStaleEntryMarked() throws Exception {
    String chromium = findChromium();
    if (System.getenv("CI") == null) {
      Assumptions.assumeTrue(chromium != null, "no Chromium on this machine");
    }
    assertTrue(chromium != null, "CI must have Chromium (.ci/run installs it)");
    Path reportDir = dir.resolve("failing");
    java.io.StringWriter out = new java.io.StringWriter();
    int code = org.shadowref.cli.Main.execute(new String[] {"run", "examples/09-page-table-write.yaml", "--bug",
        "reference:SKIP_REVALIDATE", "--report", reportDir.toString()},
        new java.io.PrintWriter(out, true), new java.io.PrintWriter(new java.io.StringWriter(), true));
    assertEquals(1, code, out.toString());
    Path index = reportDir.resolve("index.html");

    String dom = run(chromium, "--dump-dom", index.toUri().toString());
    int failure = dom.indexOf("class=\"failure\"");
    assertTrue(failure >= 0 && failure < dom.indexOf("id=\"claims\""), "the failure comes before the claims");
    // The first failure is the store whose shadow was not revalidated: the invariants, judged
    // after every step, see it before any access uses the stale entry.
    for (String key : List.of("native: ok maddr=0x23000", "reference breaks INV-NO-AMPLIFY",
        "./shadowref run examples/09-page-table-write.yaml --bug reference:SKIP_REVALIDATE", "class=\"legend\"",
        "class=\"diff\"", "class=\"walk\"", "class=\"deciding\"")) {
      assertTrue(dom.contains(key), "rendered DOM lacks " + key);
    }

    Path png = dir.resolve("failing.png");
    run(chromium, "--screenshot=" + png, "--window-size=2200,1100", index.toUri().toString());
    BufferedImage image = ImageIO.read(png.toFile());
    assertTrue(pixels(image, 0xf4a6a6) > 100, "the stale shadow entry's red mark is on screen");
    assertTrue(pixels(image, 0xbcd4f6) > 100, "the walk's blue marks are on screen");
    assertTrue(pixels(image, 0xaa1111) > 100, "the failure's frame is on screen");
  }

  private static int pixels(BufferedImage image, int rgb) {
    int count = 0;
    for (int y = 0; y < image.getHeight(); y++) {
      for (int x = 0; x < image.getWidth(); x++) {
        if ((image.getRGB(x, y) & 0xFFFFFF) == rgb) {
          count++;
        }
      }
    }
    return count;
  }

  private Report sampleReport() {
    MachineMemory machine = new MachineMemory(16);
    P2m p2m = new P2m(16);
    for (int gfn = 0; gfn < 16; gfn++) {
      p2m.mapRam(Addr.gfn(gfn), Addr.mfn(gfn), true);
    }
    GuestPhysicalMemory memory = new GuestPhysicalMemory(machine, p2m);
    long[] next = {1};
    PageTableBuilder tables = new PageTableBuilder(memory, PagingMode.PAE, () -> Addr.gfn(next[0]++));
    long flags = EntryBits.P | EntryBits.RW | EntryBits.A;
    tables.map(Addr.gva(0x1000), Addr.gpa(0xA000), 1, flags, flags);
    long hot = tables.entryAddressFor(Addr.gva(0x1000), 1);
    TableTreeSvg drawing = new TableTreeSvg(new GuestTables(memory), PagingMode.PAE, 40, false,
        Map.of(hot, EnumSet.of(TableTreeSvg.Mark.STALE)), 20, 20);
    return new Report("shadowref check")
        .add(new Report.Claim("reference == native", "access matrix, 6144 combinations", true, 1.5, ""))
        .add(new Report.Claim("optimized == reference", "differential campaign", false, 3.0, "diverged at step 4"))
        .add(new Report.Invariant("INV-WRITE-PROTECT", "no shadowed page table is writable", "tests + models"))
        .add(new Report.Benchmark("demand-fault storm", "4level", 1.0e5, 1.2e6))
        .add(new Report.Failure("step 4: v0 kernel write8 0x1000", "optimized == reference", "the shadow entry stayed writable",
            "native: guest fault", "optimized: ok", "./shadowref replay t.json", drawing.render("guest", tables.root(), "gpa"), drawing.render("shadow", tables.root(), "maddr")));
  }

  private String run(String chromium, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(chromium, "--headless", "--no-sandbox", "--disable-gpu",
        "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--user-data-dir=" + dir.resolve("profile")));
    command.addAll(List.of(args));
    Path out = dir.resolve("chromium.out");
    Process process = new ProcessBuilder(command).redirectErrorStream(false)
        .redirectOutput(out.toFile()).redirectError(dir.resolve("chromium.err").toFile()).start();
    assertTrue(process.waitFor(90, TimeUnit.SECONDS), "Chromium did not finish in 90 s");
    assertEquals(0, process.exitValue(), Files.readString(dir.resolve("chromium.err")));
    return Files.readString(out, StandardCharsets.UTF_8);
  }

  private static String findChromium() {
    for (String candidate : List.of("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")) {
      if (new File(candidate).canExecute()) {
        return candidate;
      }
    }
    return null;
  }

  private static int distinctColours(BufferedImage image) {
    Set<Integer> colours = new HashSet<>();
    for (int y = 0; y < image.getHeight(); y += 3) {
      for (int x = 0; x < image.getWidth(); x += 3) {
        colours.add(image.getRGB(x, y));
      }
    }
    return colours.size();
  }

  private static int count(String haystack, String needle) {
    int count = 0;
    for (int i = haystack.indexOf(needle); i >= 0; i = haystack.indexOf(needle, i + 1)) {
      count++;
    }
    return count;
  }
}
