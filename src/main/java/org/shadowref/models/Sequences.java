package org.shadowref.models;

import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.arch.AccessKind;
import org.shadowref.arch.EntryBits;
import org.shadowref.check.explore.Choices;
import org.shadowref.check.explore.Events;
import org.shadowref.check.explore.Explorer;
import org.shadowref.check.explore.ExplorerOptions;
import org.shadowref.check.explore.JpfDriver;
import org.shadowref.check.explore.Lockstep;
import org.shadowref.check.explore.LockstepHarness;
import org.shadowref.check.explore.ModelArgs;
import org.shadowref.check.explore.OpMenu;
import org.shadowref.shadow.GuestMachine;
import org.shadowref.shadow.GuestOp;
import org.shadowref.shadow.NativePlatform;
import org.shadowref.shadow.OpResult;
import org.shadowref.shadow.Platform;
import org.shadowref.shadow.reference.ReferenceEngine;

/**
 * Every sequence of guest operations up to the depth bound over the {@link EngineUniverse}
 * guest, on the reference engine and the native machine in lockstep: loads, stores and fetches
 * (either privilege) of the data page and of an unused entry of the L1 table through its alias
 * (a user store there takes the handler's unshadow path); supervisor stores that unmap the data
 * page, map it writable or map it read-only (writes to a shadowed page table, emulated); CR3 loads
 * of address space A or B (B shares A's lower tables under a read-only top entry); INVLPG of the
 * data page. In every state: the engine's invariants hold, every operation gave native's result,
 * and the guest sees the same memory and registers on both.
 */
public final class Sequences extends LockstepHarness {
  private static final OpMenu MENU = OpMenu.builder(1)
      .accesses(new long[] {EngineUniverse.VA_DATA, EngineUniverse.VA_SPARE_L1E})
      .stores(
          new long[] {EngineUniverse.VA_DATA_L1E},
          new long[] {
            0,
            EngineUniverse.VA_DATA | EngineUniverse.LEAF,
            EngineUniverse.VA_DATA | EntryBits.P | EntryBits.US
          },
          8)
      .cr3Loads(EngineUniverse.ROOT_A, EngineUniverse.ROOT_B)
      .invlpgs(EngineUniverse.VA_DATA)
      .build();

  private final ReferenceEngine.Config config;

  public Sequences(ModelArgs args) {
    config = EngineUniverse.config(args);
  }

  /** Under JPF: JPF explores the choices. Directly: the project's explorer does. */
  public static void main(String[] argv) {
    ModelArgs args = ModelArgs.parse(argv);
    int depth = args.intValue("depth", 6, -1, 1000);
    Sequences harness = new Sequences(args);
    args.checkAllUsed("Sequences");
    if (JpfDriver.runningInJpf()) {
      JpfDriver.run(harness, depth);
    } else {
      System.out.println(Explorer.explore(harness, ExplorerOptions.defaults().withDepthBound(depth)).describe());
    }
  }

  /** How many operations each state offers. */
  static long menuSize() {
    return MENU.size();
  }

  @Override
  protected Lockstep start(Choices choices, Events events) {
    GuestMachine guest = EngineUniverse.build(1).machine();
    ReferenceEngine engine = new ReferenceEngine(
        guest.copy(), config, EngineUniverse.NO_INSTRUCTIONS, EngineUniverse.NO_INSTRUCTIONS);
    return new Lockstep(new ObservedEngine(engine), new NativePlatform(guest, EngineUniverse.NO_INSTRUCTIONS));
  }

  @Override
  protected @Nullable GuestOp nextOp(Lockstep state, Choices choices, Events events) {
    return MENU.choose(choices);
  }

  @Override
  protected void afterOp(Lockstep state, GuestOp op, OpResult result, Events events) {
    ObservedEngine engine = (ObservedEngine) state.system();
    for (String label : engine.lastCases()) {
      events.cover(label);
    }
    if (op instanceof GuestOp.LoadCr3) {
      events.cover(CR3_LOAD);
    } else if (op instanceof GuestOp.Invlpg) {
      events.cover(INVLPG);
    }
    if (events.tracing()) {
      events.note("handler cases: " + engine.lastCases());
    }
  }

  static final String CR3_LOAD = "CR3 load";
  static final String INVLPG = "INVLPG";

  @Override
  protected void checkSystem(Platform system, Events events) {
    EngineUniverse.checkInvariants(((ObservedEngine) system).engine(), events);
  }

  @Override
  public String[] coverageLabels() {
    return new String[] {
      ObservedEngine.HARDWARE_DONE, ObservedEngine.FIXED_BUILT, ObservedEngine.FIXED_PROPAGATED,
      ObservedEngine.INJECT_NOT_PRESENT, ObservedEngine.INJECT_PROTECTION,
      ObservedEngine.EMULATED_TABLE_WRITE, CR3_LOAD, INVLPG
    };
  }
}
