package org.shadowref.models;

import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.arch.AccessKind;
import org.shadowref.arch.Addr;
import org.shadowref.arch.ControlRegisters;
import org.shadowref.arch.EntryBits;
import org.shadowref.check.explore.Choices;
import org.shadowref.check.explore.Events;
import org.shadowref.check.explore.Explorer;
import org.shadowref.check.explore.ExplorerOptions;
import org.shadowref.check.explore.JpfDriver;
import org.shadowref.check.explore.Lockstep;
import org.shadowref.check.explore.LockstepHarness;
import org.shadowref.check.explore.ModelArgs;
import org.shadowref.shadow.GuestMachine;
import org.shadowref.shadow.GuestOp;
import org.shadowref.shadow.NativePlatform;
import org.shadowref.shadow.OpResult;
import org.shadowref.shadow.Platform;
import org.shadowref.shadow.World;
import org.shadowref.shadow.reference.ReferenceEngine;

/**
 * The page-fault handler, one fault at a time: the reference engine against the native machine
 * on the {@link EngineUniverse} guest. The initial choice picks a level of the chain that maps
 * the data page, any combination of P, RW, US, A, D, NX, PS and a reserved bit in that entry
 * (the others are {@code P|RW|US}), and CR0.WP, EFER.NXE and CR4.SMEP on or off. Each step is
 * one access, of any kind at either privilege, to the data page, the MMIO page, the page with
 * nothing behind it or the L1 table through its alias (a write there is a page-table write). The
 * default depth (the {@code .jpf} file's) is two accesses: the first builds the shadows, the
 * second runs on them.
 *
 * <p>In every state: the engine's invariants hold; every access gave native's result; the guest
 * sees the same memory and registers on both. Coverage: the handler's cases ({@link
 * ObservedEngine#LABELS}).
 */
public final class SingleFault extends LockstepHarness {
  private static final long[] ACCESS_VAS = {
    EngineUniverse.VA_DATA, EngineUniverse.VA_MMIO, EngineUniverse.VA_ABSENT, EngineUniverse.VA_SPARE_L1E
  };

  private final ReferenceEngine.Config config;
  private final String[] labels;
  /** The levels whose entry is under test: {@code level=all} (the default) or one of 1..4. */
  private final int lowestLevel;
  private final int highestLevel;
  /** {@code controls=all} (the default): WP, NXE and SMEP each on or off; {@code none}: WP on only. */
  private final boolean allControls;

  public SingleFault(ModelArgs args) {
    config = EngineUniverse.config(args);
    String level = args.choice("level", "all", "all", "1", "2", "3", "4");
    lowestLevel = level.equals("all") ? 1 : Integer.parseInt(level);
    highestLevel = level.equals("all") ? EngineUniverse.MODE.levels() : lowestLevel;
    allControls = args.choice("controls", "all", "all", "none").equals("all");
    labels = new String[] {
      ObservedEngine.HARDWARE_DONE, ObservedEngine.FIXED_BUILT, ObservedEngine.FIXED_PROPAGATED,
      ObservedEngine.INJECT_NOT_PRESENT, ObservedEngine.INJECT_PROTECTION, ObservedEngine.INJECT_RESERVED,
      ObservedEngine.MMIO, ObservedEngine.UNMAPPED, ObservedEngine.EMULATED_TABLE_WRITE,
      ObservedEngine.EMULATED_ACCESS
    };
  }

  /** Under JPF: JPF explores the choices. Directly: the project's explorer does. */
  public static void main(String[] argv) {
    ModelArgs args = ModelArgs.parse(argv);
    int depth = args.intValue("depth", 2, -1, 1000);
    SingleFault harness = new SingleFault(args);
    args.checkAllUsed("SingleFault");
    if (JpfDriver.runningInJpf()) {
      JpfDriver.run(harness, depth);
    } else {
      System.out.println(Explorer.explore(harness, ExplorerOptions.defaults().withDepthBound(depth)).describe());
    }
  }

  @Override
  protected Lockstep start(Choices choices, Events events) {
    World world = EngineUniverse.build(1);
    GuestMachine guest = world.machine();
    int level = lowestLevel == highestLevel ? lowestLevel : choices.chooseInt(lowestLevel, highestLevel);
    int combination = choices.chooseInt(0, (1 << EngineUniverse.TESTED_BITS.length) - 1);
    long flags = 0;
    for (int bit = 0; bit < EngineUniverse.TESTED_BITS.length; bit++) {
      if ((combination & (1 << bit)) != 0) {
        flags |= EngineUniverse.TESTED_BITS[bit];
      }
    }
    long entryAddress = EngineUniverse.dataEntryAddress(level);
    long target = level == 1 ? EngineUniverse.VA_DATA : EngineUniverse.tableAddress(level - 1);
    EngineUniverse.write(guest, entryAddress, target | flags);
    ControlRegisters regs = guest.vcpu(0).regs();
    if (allControls) {
      regs = regs.with(0, ControlRegisters.CR0_WP, choices.chooseBoolean());
      regs = regs.with(4, ControlRegisters.CR4_SMEP, choices.chooseBoolean());
      regs = regs.withEfer(choices.chooseBoolean() ? regs.efer() | ControlRegisters.EFER_NXE : regs.efer());
      world.setRegs(regs);
    }
    if (events.tracing()) {
      events.note("world: L" + level + " entry for " + Addr.hex(EngineUniverse.VA_DATA) + " = "
          + EntryBits.describe(target | flags) + ((flags & EngineUniverse.RESERVED) != 0 ? "|RSV" : "")
          + "; " + regs);
    }
    ReferenceEngine engine = new ReferenceEngine(
        guest.copy(), config, EngineUniverse.NO_INSTRUCTIONS, EngineUniverse.NO_INSTRUCTIONS);
    return new Lockstep(new ObservedEngine(engine), new NativePlatform(guest, EngineUniverse.NO_INSTRUCTIONS));
  }

  @Override
  protected @Nullable GuestOp nextOp(Lockstep state, Choices choices, Events events) {
    long va = ACCESS_VAS[choices.chooseInt(0, ACCESS_VAS.length - 1)];
    AccessKind kind = AccessKind.values()[choices.chooseInt(0, AccessKind.values().length - 1)];
    boolean user = choices.chooseBoolean();
    return new GuestOp.MemoryAccess(0, Addr.gva(va), kind, user, 8, 0);
  }

  @Override
  protected void afterOp(Lockstep state, GuestOp op, OpResult result, Events events) {
    for (String label : ((ObservedEngine) state.system()).lastCases()) {
      events.cover(label);
    }
    if (events.tracing()) {
      events.note("handler cases: " + ((ObservedEngine) state.system()).lastCases());
    }
  }

  @Override
  protected void checkSystem(Platform system, Events events) {
    EngineUniverse.checkInvariants(((ObservedEngine) system).engine(), events);
  }

  @Override
  public String[] coverageLabels() {
    return labels.clone();
  }
}
