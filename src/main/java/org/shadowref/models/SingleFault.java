package org.shadowref.models;

import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.arch.AccessKind;
import org.shadowref.arch.Addr;
import org.shadowref.arch.ControlRegisters;
import org.shadowref.arch.EntryBits;
import org.shadowref.arch.PagingMode;
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
 * on the {@link EngineUniverse} guest of each paging mode ({@code mode=}). The initial choice
 * picks the mode, a level of the chain that maps the data page (the levels the mode has: the
 * PAE PDPTE, whose bits other than P are reserved, and the 2-level directory entry with PS
 * included), any combination of eight bits in that entry ({@link NativeWalk#testedBits}: P, RW,
 * US, A, D, NX, PS and a reserved bit; G for NX and bit 21 as the reserved bit in 32-bit
 * entries), the others {@code P|RW|US}, and CR0.WP, CR4.SMEP and EFER.NXE on or off (CR4.PSE
 * instead of NXE for 2-level guests, which have no NX bit). Each step is one access, of any kind
 * at either privilege, to the data page, the MMIO page, the page with nothing behind it or the L1
 * table through its alias (a write there is a page-table write). The default depth (the {@code
 * .jpf} file's) is two accesses: the first builds the shadows, the second runs on them.
 *
 * <p>In every state: the engine's invariants hold; every access gave native's result; the guest
 * sees the same memory and registers on both. Coverage: the handler's cases ({@link
 * ObservedEngine#LABELS}), per mode.
 */
public final class SingleFault extends LockstepHarness {
  static final String[] HANDLER_CASES = {
    ObservedEngine.HARDWARE_DONE, ObservedEngine.FIXED_BUILT, ObservedEngine.FIXED_PROPAGATED,
    ObservedEngine.INJECT_NOT_PRESENT, ObservedEngine.INJECT_PROTECTION, ObservedEngine.INJECT_RESERVED,
    ObservedEngine.MMIO, ObservedEngine.UNMAPPED, ObservedEngine.EMULATED_TABLE_WRITE,
    ObservedEngine.EMULATED_ACCESS
  };

  /** Per mode (by ordinal): the engine's configuration, one object so that states copy in place. */
  private final ReferenceEngine.Config[] configs = new ReferenceEngine.Config[EngineUniverse.Mode.values().length];
  private final EngineUniverse.Mode[] modes;
  private final String[] labels;
  /** The levels whose entry is under test: {@code level=all} (the default) or one of 1..4. */
  private final int lowestLevel;
  private final int highestLevel;
  /** {@code controls=all} (the default): WP, SMEP and NXE (PSE) each on or off; {@code none}: as built. */
  private final boolean allControls;

  public SingleFault(ModelArgs args) {
    ReferenceEngine.Config config = EngineUniverse.config(args);
    EngineUniverse.Mode[] asked = EngineUniverse.modes(args, "4level");
    String level = args.choice("level", "all", "all", "1", "2", "3", "4");
    lowestLevel = level.equals("all") ? 1 : Integer.parseInt(level);
    highestLevel = level.equals("all") ? 4 : lowestLevel;
    allControls = args.choice("controls", "all", "all", "none").equals("all");
    // A mode without the level asked for has no world to offer: leave it out.
    int count = 0;
    for (EngineUniverse.Mode mode : asked) {
      count += mode.paging.levels() >= lowestLevel ? 1 : 0;
    }
    if (count == 0) {
      throw new IllegalArgumentException("model argument level=" + level + " exceeds the levels of mode " + asked[0].cliName);
    }
    modes = new EngineUniverse.Mode[count];
    count = 0;
    for (EngineUniverse.Mode mode : asked) {
      if (mode.paging.levels() >= lowestLevel) {
        modes[count++] = mode;
        configs[mode.ordinal()] = EngineUniverse.of(mode).config(config);
      }
    }
    labels = EngineUniverse.labels(modes, HANDLER_CASES);
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
    EngineUniverse.Mode mode = modes.length == 1 ? modes[0] : modes[choices.chooseInt(0, modes.length - 1)];
    EngineUniverse universe = EngineUniverse.of(mode);
    World world = universe.build(1);
    GuestMachine guest = world.machine();
    int highest = Math.min(highestLevel, universe.levels());
    int level = lowestLevel == highest ? lowestLevel : choices.chooseInt(lowestLevel, highest);
    long[] tested = universe.testedBits();
    int combination = choices.chooseInt(0, (1 << tested.length) - 1);
    long flags = 0;
    for (int bit = 0; bit < tested.length; bit++) {
      if ((combination & (1 << bit)) != 0) {
        flags |= tested[bit];
      }
    }
    long target = universe.entryTarget(level);
    universe.write(guest, universe.dataEntryAddress(level), target | flags);
    ControlRegisters regs = guest.vcpu(0).regs();
    if (allControls) {
      regs = regs.with(0, ControlRegisters.CR0_WP, choices.chooseBoolean());
      regs = regs.with(4, ControlRegisters.CR4_SMEP, choices.chooseBoolean());
      if (universe.paging == PagingMode.TWO_LEVEL) {
        regs = regs.with(4, ControlRegisters.CR4_PSE, choices.chooseBoolean());
      } else {
        regs = regs.withEfer(choices.chooseBoolean() ? regs.efer() | ControlRegisters.EFER_NXE : regs.efer());
      }
      world.setRegs(regs);
    }
    if (events.tracing()) {
      events.note("world: " + universe + ", L" + level + " entry for " + Addr.hex(universe.vaData) + " = "
          + EntryBits.describe(target | flags) + ((flags & tested[tested.length - 1]) != 0 ? "|RSV" : "")
          + "; " + regs);
    }
    ReferenceEngine engine = new ReferenceEngine(
        guest.copy(), configs[mode.ordinal()], EngineUniverse.NO_INSTRUCTIONS, EngineUniverse.NO_INSTRUCTIONS);
    return new Lockstep(new ObservedEngine(engine, universe), new NativePlatform(guest, EngineUniverse.NO_INSTRUCTIONS));
  }

  @Override
  protected @Nullable GuestOp nextOp(Lockstep state, Choices choices, Events events) {
    EngineUniverse universe = ((ObservedEngine) state.system()).universe();
    int target = choices.chooseInt(0, 3);
    long va = target == 0 ? universe.vaData : target == 1 ? universe.vaMmio
        : target == 2 ? universe.vaAbsent : universe.vaSpareL1e;
    AccessKind kind = AccessKind.values()[choices.chooseInt(0, AccessKind.values().length - 1)];
    boolean user = choices.chooseBoolean();
    return new GuestOp.MemoryAccess(0, Addr.gva(va), kind, user, 8, 0);
  }

  @Override
  protected void afterOp(Lockstep state, GuestOp op, OpResult result, Events events) {
    ObservedEngine engine = (ObservedEngine) state.system();
    for (String label : engine.lastCases()) {
      events.cover(engine.universe().label(label));
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
