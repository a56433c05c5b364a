package org.shadowref.models;

import java.util.ArrayList;
import java.util.List;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.arch.Access;
import org.shadowref.arch.AccessKind;
import org.shadowref.arch.Addr;
import org.shadowref.arch.PfErrorCode;
import org.shadowref.check.explore.Choices;
import org.shadowref.check.explore.Events;
import org.shadowref.check.explore.Explorer;
import org.shadowref.check.explore.ExplorerOptions;
import org.shadowref.check.explore.Fingerprint;
import org.shadowref.check.explore.Harness;
import org.shadowref.check.explore.JpfDriver;
import org.shadowref.check.explore.ModelArgs;
import org.shadowref.check.trace.GuestSnapshot;
import org.shadowref.mmu.NativeMmu;
import org.shadowref.shadow.GuestMachine;
import org.shadowref.shadow.GuestOp;
import org.shadowref.shadow.NativePlatform;
import org.shadowref.shadow.OpResult;
import org.shadowref.shadow.core.FaultResolution;
import org.shadowref.shadow.core.HardwareStep;
import org.shadowref.shadow.core.SeededBug;
import org.shadowref.shadow.core.ShadowEngine;
import org.shadowref.shadow.optimized.OptimizedConfig;
import org.shadowref.shadow.optimized.OptimizedEngine;
import org.shadowref.shadow.reference.ReferenceEngine;
import org.shadowref.shadow.reference.ShadowState;

/**
 * Two vCPUs sharing shadows, interleaved at the engine's real atomicity, on the {@link
 * EngineUniverse} guest of each paging mode ({@code mode=}; coverage labels per mode). An access is not one
 * step: the hardware walk of the shadows is one step (lock-free: it runs between any two handler
 * runs), and each run of the page-fault handler is one step (atomic: it holds the shadow lock
 * for its whole run). A vCPU with a fault pending keeps it in the state (the operation and its
 * error code) while the other vCPU runs; after the handler answers FIXED its next step is the
 * retry. Each idle vCPU may start: a load or a store of the data page, a store that unmaps or
 * maps the data page (a page-table write, emulated), a load of the data page through the second
 * page table, a user store that clears that table's entry through its alias (the handler
 * unshadows the table), or a CR3 load switching address spaces A and B. So the
 * explored interleavings include one vCPU faulting while the other rewrites the entry, loads CR3
 * or unshadows, and the "false alarm" (the handler finds the fault already fixed by the other).
 *
 * <p>The oracle is the native machine, to which each operation is applied at its linearization
 * point: the step that completes it, which is the hardware walk that succeeds or the handler run
 * that ends it (inject, MMIO, emulated). Properties, checked in every state or step:
 *
 * <ul>
 *   <li>the engine's invariants hold;
 *   <li>linearizability: every completed operation's result equals native's for the same
 *       operation applied at its linearization point; operations that complete in one step (CR3
 *       loads) are their own linearization point;
 *   <li>the guest sees the same memory and registers as native, where native has also performed
 *       the guest page walks of handler runs that answered FIXED. That is the one legitimate
 *       difference: a handler sets the guest's A/D bits when it fixes the shadows, before the
 *       retry completes the access (and the retry may then fault, if the other vCPU unmapped the
 *       page meanwhile); a CPU's own walk sets them at the same point, so native does too;
 *   <li>the recursive-fault rule: a fault taken while the same vCPU holds the shadow lock is
 *       NOT_SHADOW_FAULT and changes nothing (tried before every handler run);
 *   <li>progress: after the handler answers FIXED, a retry with no step of the other vCPU in
 *       between completes in hardware. So a vCPU can only be made to retry by the other vCPU's
 *       steps, the handler never livelocks on its own, and since no step ends with the lock held,
 *       no interleaving deadlocks.
 * </ul>
 *
 * <p>{@code engine=optimized} runs the optimized engine instead, whose handler walks the guest's
 * tables before it takes the shadow lock (raced walks): each handler run that does opens a window
 * between the walk and the lock, in which the other vCPU may take one step of its own (a handler
 * run there opens none). So a page-table store of the other vCPU, emulated or (to a table with no
 * shadow) straight to memory, can land between a walk and its install; the engine must walk
 * again. There, a reserved-bit fault the fast path answers with a retry, its magic entry gone,
 * fixes and walks nothing: native walks only if the engine did, and the retry is not held to the
 * progress rule.
 *
 * <p>Not modelled: a hardware walk that runs during a handler run (seeing a half-updated chain);
 * the engine's API makes the handler one step (with the optimized engine, two: before and under
 * the lock).
 */
public final class TwoVcpus implements Harness<TwoVcpus.State> {
  static final int VCPUS = 2;
  static final String LINEARIZABLE = "every completed operation gives native's result at its linearization point";
  static final String SAME_GUEST = "the guest sees native's memory and registers";
  static final String RECURSIVE = "a fault under the vCPU's own lock is NOT_SHADOW_FAULT and changes nothing";
  static final String PROGRESS = "a retry right after FIXED completes in hardware";

  static final String START = "an idle vCPU starts an operation";
  static final String FALSE_ALARM = ObservedEngine.FIXED_NOTHING;
  static final String RETRY_FAULTED = "a retry faults again after the other vCPU ran";
  static final String CR3_LOAD = "CR3 load";
  static final String RACED = "the other vCPU steps between a guest walk and the shadow lock";

  /** What an idle vCPU may start; index = the operation's number in the state. */
  private static final int OPERATIONS = 7;

  private final EngineUniverse.Mode[] modes;
  /** {@code engine=optimized}: the optimized engine with its default techniques, raced walks among them. */
  private final boolean optimized;
  /** Per mode (by ordinal): the engine's configuration, one object so that states copy in place. */
  private final ReferenceEngine.Config[] configs = new ReferenceEngine.Config[EngineUniverse.Mode.values().length];
  private final OptimizedConfig[] optimizedConfigs = new OptimizedConfig[EngineUniverse.Mode.values().length];

  public TwoVcpus(ModelArgs args) {
    optimized = args.choice("engine", "reference", "reference", "optimized").equals("optimized");
    ReferenceEngine.Config config = optimized ? ReferenceEngine.Config.DEFAULT : EngineUniverse.config(args);
    OptimizedConfig optimizedConfig = optimized ? optimizedConfig(args) : OptimizedConfig.DEFAULT;
    modes = EngineUniverse.modes(args, "4level");
    for (EngineUniverse.Mode mode : modes) {
      configs[mode.ordinal()] = EngineUniverse.of(mode).config(config);
      optimizedConfigs[mode.ordinal()] = optimizedConfig.withTwoOnTwo(EngineUniverse.of(mode).config(config).twoOnTwo());
    }
  }

  /** {@code bug=NAME} for the optimized engine: any seeded bug it carries, or none. */
  private static OptimizedConfig optimizedConfig(ModelArgs args) {
    List<SeededBug> bugs = SeededBug.ofOptimized();
    String[] names = new String[bugs.size() + 1];
    names[0] = "none";
    for (int i = 0; i < bugs.size(); i++) {
      names[i + 1] = bugs.get(i).cliName();
    }
    String chosen = args.choice("bug", "none", names);
    return OptimizedConfig.DEFAULT.withBug(SeededBug.named(chosen));
  }

  /** Under JPF: JPF explores the choices. Directly: the project's explorer does. */
  public static void main(String[] argv) {
    ModelArgs args = ModelArgs.parse(argv);
    int depth = args.intValue("depth", 6, -1, 1000);
    TwoVcpus harness = new TwoVcpus(args);
    args.checkAllUsed("TwoVcpus");
    if (JpfDriver.runningInJpf()) {
      JpfDriver.run(harness, depth);
    } else {
      System.out.println(Explorer.explore(harness, ExplorerOptions.defaults().withDepthBound(depth)).describe());
    }
  }

  /** The world, the engine, the oracle, and each vCPU's operation in progress. */
  public static final class State {
    final EngineUniverse universe;
    final ShadowEngine<?> engine;
    final NativePlatform oracle;
    /** Per vCPU: the operation in progress (its number), or -1 when idle. */
    final int[] pending = new int[VCPUS];
    /** Per vCPU: the error code of a fault awaiting the handler, or -1 when the hardware walk is next. */
    final int[] errorCode = new int[VCPUS];
    /** Per vCPU: the handler answered FIXED and the other vCPU has not run since. */
    final boolean[] justFixed = new boolean[VCPUS];

    State(EngineUniverse universe, ShadowEngine<?> engine, NativePlatform oracle) {
      this.universe = universe;
      this.engine = engine;
      this.oracle = oracle;
      for (int v = 0; v < VCPUS; v++) {
        pending[v] = -1;
        errorCode[v] = -1;
      }
    }

    State copy() {
      State copy = new State(universe, (ShadowEngine<?>) engine.copy(), (NativePlatform) oracle.copy());
      copyVcpusInto(copy);
      return copy;
    }

    /** Makes {@code target}, a state no longer needed, a copy of this one, in place. */
    State copyInto(State target) {
      if (target.universe != universe || engine.copyInto(target.engine) != target.engine || oracle.copyInto(target.oracle) != target.oracle) {
        return copy();
      }
      copyVcpusInto(target);
      return target;
    }

    private void copyVcpusInto(State target) {
      System.arraycopy(pending, 0, target.pending, 0, VCPUS);
      System.arraycopy(errorCode, 0, target.errorCode, 0, VCPUS);
      System.arraycopy(justFixed, 0, target.justFixed, 0, VCPUS);
    }

    @Override
    public String toString() {
      StringBuilder out = new StringBuilder(universe.toString()).append(": ");
      for (int v = 0; v < VCPUS; v++) {
        out.append("vcpu").append(v).append(": ");
        if (pending[v] < 0) {
          out.append("idle");
        } else {
          out.append(operation(universe, v, pending[v], engine.guest()))
              .append(errorCode[v] < 0 ? ", walk next" : ", #PF " + Addr.hex(errorCode[v]) + " awaits the handler");
        }
        out.append("; ");
      }
      return out.toString();
    }
  }

  /**
   * Operation {@code index} of vCPU {@code vcpu} in {@code universe}; the CR3 load switches to the
   * other address space. Page-table writes are one entry wide.
   */
  static GuestOp operation(EngineUniverse universe, int vcpu, int index, GuestMachine guest) {
    int entry = universe.entryBytes;
    switch (index) {
      case 0:
        return access(vcpu, universe.vaData, AccessKind.READ, false, 8, 0);
      case 1:
        return access(vcpu, universe.vaData, AccessKind.WRITE, false, 8, 0x100 + vcpu);
      case 2:
        return access(vcpu, universe.vaDataL1e, AccessKind.WRITE, false, entry, 0);
      case 3:
        return access(vcpu, universe.vaDataL1e, AccessKind.WRITE, false, entry, (universe.dataGfn << 12) | EngineUniverse.LEAF);
      case 4:
        return access(vcpu, universe.vaSecondL1e, AccessKind.WRITE, true, entry, 0);
      case 5:
        return access(vcpu, universe.vaSecond, AccessKind.READ, false, 8, 0);
      default:
        {
          long cr3 = guest.vcpu(vcpu).regs().cr3() == universe.rootA ? universe.rootB : universe.rootA;
          return new GuestOp.LoadCr3(vcpu, cr3);
        }
    }
  }

  private static GuestOp.MemoryAccess access(int vcpu, long va, AccessKind kind, boolean user, int size, long value) {
    return new GuestOp.MemoryAccess(vcpu, Addr.gva(va), kind, user, size, value);
  }

  @Override
  public State initial(Choices choices, Events events) {
    EngineUniverse.Mode mode = modes.length == 1 ? modes[0] : modes[choices.chooseInt(0, modes.length - 1)];
    EngineUniverse universe = EngineUniverse.of(mode);
    GuestMachine guest = universe.build(VCPUS).machine();
    if (events.tracing()) {
      events.note("world: " + universe);
    }
    ShadowEngine<?> engine = optimized
        ? new OptimizedEngine(guest.copy(), optimizedConfigs[mode.ordinal()], EngineUniverse.NO_INSTRUCTIONS,
            EngineUniverse.NO_INSTRUCTIONS)
        : new ReferenceEngine(
            guest.copy(), configs[mode.ordinal()], EngineUniverse.NO_INSTRUCTIONS, EngineUniverse.NO_INSTRUCTIONS);
    return new State(universe, engine, new NativePlatform(guest, EngineUniverse.NO_INSTRUCTIONS));
  }

  @Override
  public void step(State state, Choices choices, Events events) {
    stepOf(state, choices.chooseInt(0, VCPUS - 1), false, choices, events);
  }

  /**
   * One step of {@code vcpu}: it starts an operation, or takes the next step of the one it has;
   * {@code inWindow}: inside the window the other vCPU's handler run opened.
   */
  private void stepOf(State state, int vcpu, boolean inWindow, Choices choices, Events events) {
    for (int other = 0; other < VCPUS; other++) {
      if (other != vcpu) {
        state.justFixed[other] = false;
      }
    }
    if (state.pending[vcpu] < 0) {
      int index = choices.chooseInt(0, OPERATIONS - 1);
      events.cover(state.universe.label(START));
      GuestOp op = operation(state.universe, vcpu, index, state.engine.guest());
      if (op instanceof GuestOp.LoadCr3) {
        events.cover(state.universe.label(CR3_LOAD));
        complete(state, op, state.engine.apply(op), events);
        return;
      }
      state.pending[vcpu] = index;
      state.engine.beginOperation(vcpu);
      hardwareWalk(state, vcpu, (GuestOp.MemoryAccess) op, true, events);
      return;
    }
    GuestOp.MemoryAccess op = (GuestOp.MemoryAccess) operation(state.universe, vcpu, state.pending[vcpu], state.engine.guest());
    if (state.errorCode[vcpu] < 0) {
      hardwareWalk(state, vcpu, op, false, events);
    } else {
      handler(state, vcpu, op, inWindow, choices, events);
    }
  }

  private void hardwareWalk(State state, int vcpu, GuestOp.MemoryAccess op, boolean first, Events events) {
    boolean retryAfterFixed = state.justFixed[vcpu];
    state.justFixed[vcpu] = false;
    HardwareStep walk = state.engine.hardwareStep(op);
    OpResult completed = walk.completed();
    if (events.tracing()) {
      events.note("vcpu" + vcpu + " hardware walk for " + op + ": " + walk);
    }
    if (completed != null) {
      events.cover(state.universe.label(ObservedEngine.HARDWARE_DONE));
      complete(state, op, completed, events);
      return;
    }
    if (retryAfterFixed) {
      events.violation(PROGRESS, "vcpu" + vcpu + " " + op + " faults again (" + walk + ") right after the handler fixed it");
      return;
    }
    if (!first) {
      events.cover(state.universe.label(RETRY_FAULTED));
    }
    state.errorCode[vcpu] = walk.errorCode();
  }

  private void handler(State state, int vcpu, GuestOp.MemoryAccess op, boolean inWindow, Choices choices,
      Events events) {
    ShadowEngine<?> engine = state.engine;
    int errorCode = state.errorCode[vcpu];
    Fingerprint before = new Fingerprint();
    engine.fingerprint(before);
    engine.acquireLock(vcpu);
    FaultResolution recursive = engine.pageFault(vcpu, op.va(), errorCode, op);
    engine.releaseLock(vcpu);
    Fingerprint after = new Fingerprint();
    engine.fingerprint(after);
    if (recursive.kind() != FaultResolution.Kind.NOT_SHADOW_FAULT || !after.sameAs(before)) {
      events.violation(RECURSIVE, "vcpu" + vcpu + " under its own lock: the handler answered " + recursive);
      return;
    }
    events.cover(state.universe.label(ObservedEngine.NOT_SHADOW_FAULT));
    List<String> cases = new ArrayList<>(1);
    FaultResolution resolution;
    if (inWindow) {
      resolution = ObservedEngine.handle(engine, op, errorCode, cases); // its own window stays shut
    } else {
      engine.setRaceWindow(new Window(state, vcpu, choices, events));
      try {
        resolution = ObservedEngine.handle(engine, op, errorCode, cases);
      } finally {
        engine.setRaceWindow(null);
      }
    }
    for (String label : cases) {
      events.cover(state.universe.label(label));
    }
    if (events.tracing()) {
      events.note("vcpu" + vcpu + " handler for " + op + ": " + resolution + " (" + cases + ")");
    }
    if (resolution.kind() == FaultResolution.Kind.FIXED) {
      // The handler's guest walk set the guest's A/D bits: so does a native walk at this point.
      // The optimized engine's fast path answers a reserved-bit fault whose magic entry is gone
      // (the other vCPU changed the entry since the hardware faulted) with a retry, fixing
      // nothing and walking nothing: native walks only if the engine did, and the retry may fault
      // again (not on that marker, so the full handler then runs: no livelock).
      GuestMachine oracle = state.oracle.guest();
      boolean fastPathRetry = optimized && (errorCode & PfErrorCode.RSVD) != 0;
      boolean walked = true;
      if (fastPathRetry) {
        GuestMachine probe = oracle.copy();
        new NativeMmu(probe.physical(), probe.cpu())
            .translate(probe.vcpu(vcpu).regs(), op.va(), Access.of(op.kind(), op.user()));
        walked = engine.guest().firstGuestDifference(probe) == null;
      }
      if (walked) {
        new NativeMmu(oracle.physical(), oracle.cpu())
            .translate(oracle.vcpu(vcpu).regs(), op.va(), Access.of(op.kind(), op.user()));
      }
      state.errorCode[vcpu] = -1;
      state.justFixed[vcpu] = !fastPathRetry;
      return;
    }
    complete(state, op, resolution.outcome(), events);
  }

  /**
   * The window an engine that walks before taking the shadow lock opens in {@code vcpu}'s handler
   * run: the other vCPU may take one step there (start an operation, a hardware walk, a handler
   * run of its own), as it may between any two steps; faults it takes open no window of their own.
   */
  private final class Window implements ShadowEngine.RaceWindow {
    private final State state;
    private final int vcpu;
    private final Choices choices;
    private final Events events;

    Window(State state, int vcpu, Choices choices, Events events) {
      this.state = state;
      this.vcpu = vcpu;
      this.choices = choices;
      this.events = events;
    }

    @Override
    public void open(int walked) {
      if (walked != vcpu || !choices.chooseBoolean()) {
        return;
      }
      events.cover(state.universe.label(RACED));
      if (events.tracing()) {
        events.note("vcpu" + vcpu + " walked the guest's tables; before it takes the lock, vcpu" + (1 - vcpu) + " steps");
      }
      stepOf(state, 1 - vcpu, true, choices, events);
      state.justFixed[1 - vcpu] = false; // the rest of this handler run comes after its step
    }
  }

  /** The operation completes with {@code actual}: native performs it now and must agree. */
  private void complete(State state, GuestOp op, OpResult actual, Events events) {
    OpResult expected = state.oracle.apply(op);
    events.op(op, expected);
    state.pending[op.vcpu()] = -1;
    state.errorCode[op.vcpu()] = -1;
    if (!actual.equals(expected)) {
      events.violation(LINEARIZABLE, op + ": the engine gave " + actual + ", native gives " + expected);
    }
  }

  @Override
  public void check(State state, Events events) {
    EngineUniverse.checkInvariants(state.engine, events);
    String difference = state.engine.guest().firstGuestDifference(state.oracle.guest());
    if (difference != null) {
      events.violation(SAME_GUEST, difference);
    }
    if (state.engine.lockOwner() != ShadowState.NO_OWNER) {
      events.violation(RECURSIVE, "the shadow lock is held between steps by vcpu" + state.engine.lockOwner());
    }
  }

  @Override
  public State copy(State state) {
    return state.copy();
  }

  @Override
  public State copyInto(State source, State target) {
    return source.copyInto(target);
  }

  @Override
  public void fingerprint(State state, Fingerprint into) {
    into.add(state.universe.mode.ordinal());
    state.engine.fingerprint(into);
    state.oracle.fingerprint(into);
    for (int v = 0; v < VCPUS; v++) {
      into.add(state.pending[v]).add(state.errorCode[v]).add(state.justFixed[v] ? 1 : 0);
    }
  }

  @Override
  public String[] coverageLabels() {
    List<String> labels = new ArrayList<>(List.of(START, CR3_LOAD, ObservedEngine.HARDWARE_DONE,
        ObservedEngine.NOT_SHADOW_FAULT, ObservedEngine.FIXED_BUILT, ObservedEngine.FIXED_PROPAGATED,
        ObservedEngine.FIXED_UNSHADOWED, FALSE_ALARM, RETRY_FAULTED, ObservedEngine.INJECT_NOT_PRESENT,
        ObservedEngine.EMULATED_TABLE_WRITE));
    if (optimized) {
      labels.add(RACED);
    }
    return EngineUniverse.labels(modes, labels.toArray(new String[0]));
  }

  @Override
  public @Nullable GuestSnapshot world(State initial) {
    return GuestSnapshot.of(initial.oracle.guest());
  }
}
