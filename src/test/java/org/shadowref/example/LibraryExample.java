package org.shadowref.example;

import java.nio.file.Path;
import org.shadowref.check.diff.SideBySide;
import org.shadowref.check.diff.StandardPlatforms;
import org.shadowref.check.trace.Scenario;
import org.shadowref.check.trace.ScenarioReader;
import org.shadowref.emulate.SdmExecutor;
import org.shadowref.emulate.X86Emulator;
import org.shadowref.shadow.GuestOp;
import org.shadowref.shadow.OpResult;
import org.shadowref.shadow.Platform;
import org.shadowref.shadow.reference.ReferenceEngine;

/** The README's "use it as a library" example, compiled and run by {@code LibraryExampleTest}. */
public final class LibraryExample {
  private LibraryExample() {}

  /** Runs a scenario side by side, then drives the reference engine alone. */
  public static void main(String[] args) throws Exception {
    // example:begin
    // A scenario: a guest (paging mode, mappings, P2M) and the operations it performs.
    Scenario scenario = ScenarioReader.read(Path.of("examples/09-page-table-write.yaml"));

    // Native, the reference engine and the optimized engine in lock step, each judged against native.
    SideBySide.Run run = SideBySide.run(StandardPlatforms.all(), scenario.world(), scenario.ops(),
        scenario.expectations());
    System.out.println(run.platforms() + ": first divergence at step " + run.firstDivergence()
        + ", failed steps " + run.failedSteps());

    // One engine alone: the CPU's executor for guest instructions, the hypervisor's emulator for
    // stores to shadowed page tables.
    Platform engine = new ReferenceEngine(scenario.world().build(), ReferenceEngine.Config.DEFAULT,
        new SdmExecutor(), new X86Emulator());
    for (GuestOp op : scenario.ops()) {
      OpResult result = engine.apply(op);
      System.out.println(op + " -> " + result.status());
    }
    // example:end
  }
}
