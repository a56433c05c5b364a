package org.shadowref.models;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.function.LongConsumer;
import org.shadowref.arch.Access;
import org.shadowref.arch.AccessKind;
import org.shadowref.arch.Addr;
import org.shadowref.arch.PfErrorCode;
import org.shadowref.memory.MachineMemory;
import org.shadowref.mmu.GuestTables;
import org.shadowref.mmu.WalkResult;
import org.shadowref.mmu.Walker;
import org.shadowref.shadow.GuestMachine;
import org.shadowref.shadow.GuestOp;
import org.shadowref.shadow.OpResult;
import org.shadowref.shadow.Platform;
import org.shadowref.shadow.WordFold;
import org.shadowref.shadow.core.FaultResolution;
import org.shadowref.shadow.core.HardwareStep;
import org.shadowref.shadow.core.Shadow;
import org.shadowref.shadow.core.ShadowEngine;
import org.shadowref.shadow.reference.ReferenceEngine;

/**
 * The reference engine with its accesses driven through the hardware/handler split, so that a
 * model can see which case of the handler each fault reached. The loop is the engine's own
 * (hardware walk; on #PF the handler; retry while it answers FIXED); other operations go to the
 * engine unchanged.
 */
final class ObservedEngine implements Platform {
  static final String HARDWARE_DONE = "hardware: completed on the shadows";
  static final String FIXED_BUILT = "handler FIXED: shadows built";
  static final String FIXED_PROPAGATED = "handler FIXED: shadow entries recomputed";
  static final String FIXED_UNSHADOWED = "handler FIXED: a page table unshadowed (user write)";
  static final String FIXED_NOTHING = "handler FIXED: nothing to do (false alarm)";
  static final String INJECT_NOT_PRESENT = "handler INJECT: not present";
  static final String INJECT_PROTECTION = "handler INJECT: protection";
  static final String INJECT_RESERVED = "handler INJECT: reserved bit";
  static final String MMIO = "handler MMIO";
  static final String UNMAPPED = "handler UNMAPPED_GFN";
  static final String EMULATED_TABLE_WRITE = "handler EMULATED: write to a shadowed page table";
  static final String EMULATED_ACCESS = "handler EMULATED: rights the shadows cannot express";
  static final String NOT_SHADOW_FAULT = "handler NOT_SHADOW_FAULT: recursive fault under the lock";
  static final String INSTRUCTION_FIXED = "instruction: handler FIXED, restarted";
  static final String INSTRUCTION_EMULATED = "instruction: handler EMULATED it";
  static final String INSTRUCTION_OTHER = "instruction: handler ended it otherwise";

  /** Every label {@link #label} can give, in a readable order. */
  static final String[] LABELS = {
    HARDWARE_DONE, FIXED_BUILT, FIXED_PROPAGATED, FIXED_UNSHADOWED, FIXED_NOTHING, INJECT_NOT_PRESENT,
    INJECT_PROTECTION, INJECT_RESERVED, MMIO, UNMAPPED, EMULATED_TABLE_WRITE, EMULATED_ACCESS
  };

  private final ReferenceEngine engine;
  /** The world the engine runs: part of the state (2-on-3 and 2-on-2 start from the same guest). */
  private final EngineUniverse universe;
  /** The handler cases the last operation went through (statistics: not part of the state). */
  private final List<String> lastCases = new ArrayList<>();

  ObservedEngine(ReferenceEngine engine, EngineUniverse universe) {
    this.engine = engine;
    this.universe = universe;
  }

  EngineUniverse universe() {
    return universe;
  }

  ReferenceEngine engine() {
    return engine;
  }

  List<String> lastCases() {
    return lastCases;
  }

  @Override
  public String name() {
    return engine.name();
  }

  @Override
  public OpResult apply(GuestOp op) {
    lastCases.clear();
    if (op instanceof GuestOp.Execute) {
      return executeObserved(op);
    }
    if (!(op instanceof GuestOp.MemoryAccess access)) {
      return engine.apply(op);
    }
    engine.beginOperation(access.vcpu());
    for (int attempt = 0; attempt < ReferenceEngine.MAX_FAULTS_PER_OP; attempt++) {
      HardwareStep step = engine.hardwareStep(access);
      OpResult completed = step.completed();
      if (completed != null) {
        lastCases.add(HARDWARE_DONE);
        return completed;
      }
      FaultResolution resolution = handle(engine, access, step.errorCode(), lastCases);
      if (resolution.kind() != FaultResolution.Kind.FIXED) {
        return resolution.outcome();
      }
    }
    throw new IllegalStateException(op + " still faults after " + ReferenceEngine.MAX_FAULTS_PER_OP + " handler runs");
  }

  /**
   * An instruction runs inside the engine (its faults are taken mid-instruction), so the cases
   * are heard through the engine's resolution listener, by kind, for the length of the call.
   */
  private OpResult executeObserved(GuestOp op) {
    engine.setResolutionListener(new ReferenceEngine.ResolutionListener() {
      @Override
      public void resolved(FaultResolution.Kind kind) {
        lastCases.add(kind == FaultResolution.Kind.FIXED ? INSTRUCTION_FIXED
            : kind == FaultResolution.Kind.EMULATED ? INSTRUCTION_EMULATED : INSTRUCTION_OTHER);
      }
    });
    try {
      return engine.apply(op);
    } finally {
      engine.setResolutionListener(null);
    }
  }

  /** Runs the handler for {@code op}'s fault and adds the case it reached to {@code cases}. */
  static FaultResolution handle(ShadowEngine<?> engine, GuestOp.MemoryAccess op, int errorCode, List<String> cases) {
    long before = memoryDigest(engine);
    int shadowsBefore = shadowCount(engine);
    boolean userTableWrite = op.user() && op.kind() == AccessKind.WRITE && landsOnShadowedTable(engine, op);
    FaultResolution resolution = engine.pageFault(op.vcpu(), op.va(), errorCode, op);
    cases.add(label(engine, op, resolution, before, shadowsBefore, userTableWrite));
    return resolution;
  }

  /** How many shadows {@code engine} holds. */
  private static int shadowCount(ShadowEngine<?> engine) {
    Iterable<Shadow> shadows = engine.state().shadowsView();
    if (shadows instanceof Collection<?> collection) {
      return collection.size();
    }
    int count = 0;
    for (Shadow ignored : shadows) {
      count++;
    }
    return count;
  }

  /** Whether the guest's own translation of {@code op} reaches a page table that has shadows. */
  private static boolean landsOnShadowedTable(ShadowEngine<?> engine, GuestOp.MemoryAccess op) {
    GuestMachine guest = engine.guest();
    WalkResult walk = Walker.walk(new GuestTables(guest.physical()), guest.vcpu(op.vcpu()).regs(), guest.cpu(),
        op.va(), Access.of(op.kind(), op.user()), false);
    if (!walk.ok()) {
      return false;
    }
    long maddr = guest.physical().machineAddress(Addr.gpa(walk.translated()));
    return maddr >= 0 && engine.isShadowedPageTable(Addr.mfnOf(Addr.maddr(maddr)));
  }

  /**
   * A 64-bit digest of machine memory, where everything a handler run that answers FIXED changes
   * lands (the guest's A/D bits, shadow entries and with them reference counts). It only tells a
   * false alarm from a fix, a coverage label, so one word per frame does: the state itself is
   * matched on the 128-bit fingerprint.
   */
  private static long memoryDigest(ShadowEngine<?> engine) {
    MachineMemory machine = engine.guest().machine();
    WordFold fold = new WordFold();
    for (int mfn = 0; mfn < machine.frameCount(); mfn++) {
      fold.accept(machine.frameHash(Addr.mfn(mfn)));
    }
    return fold.value();
  }

  /** The handler case {@code resolution} stands for, told apart by what changed. */
  static String label(ShadowEngine<?> engine, GuestOp.MemoryAccess op, FaultResolution resolution,
      long memoryBefore, int shadowsBefore, boolean userTableWrite) {
    switch (resolution.kind()) {
      case FIXED:
        {
          if (userTableWrite) {
            return FIXED_UNSHADOWED; // a user write is the hint that the frame is no page table now
          }
          int shadows = shadowCount(engine);
          if (shadows > shadowsBefore) {
            return FIXED_BUILT;
          }
          return memoryDigest(engine) == memoryBefore ? FIXED_NOTHING : FIXED_PROPAGATED;
        }
      case INJECT:
        {
          int code = resolution.outcome().errorCode();
          if ((code & PfErrorCode.RSVD) != 0) {
            return INJECT_RESERVED;
          }
          return (code & PfErrorCode.P) != 0 ? INJECT_PROTECTION : INJECT_NOT_PRESENT;
        }
      case MMIO:
        return MMIO;
      case UNMAPPED_GFN:
        return UNMAPPED;
      case EMULATED:
        {
          long maddr = resolution.outcome().address();
          boolean table = op.kind() == AccessKind.WRITE
              && engine.isShadowedPageTable(Addr.mfnOf(Addr.maddr(maddr)));
          return table ? EMULATED_TABLE_WRITE : EMULATED_ACCESS;
        }
      default:
        return NOT_SHADOW_FAULT;
    }
  }

  @Override
  public GuestMachine guest() {
    return engine.guest();
  }

  @Override
  public ObservedEngine copy() {
    return new ObservedEngine(engine.copy(), universe);
  }

  @Override
  public ObservedEngine copyInto(Platform target) {
    if (!(target instanceof ObservedEngine observed) || observed.universe != universe) {
      return copy();
    }
    ReferenceEngine copied = engine.copyInto(observed.engine);
    if (copied != observed.engine) {
      return new ObservedEngine(copied, universe);
    }
    observed.lastCases.clear();
    return observed;
  }

  @Override
  public long fingerprint() {
    return engine.fingerprint() * 31 + universe.mode.ordinal();
  }

  @Override
  public void fingerprint(LongConsumer into) {
    into.accept(universe.mode.ordinal());
    engine.fingerprint(into);
  }

  @Override
  public String toString() {
    return engine.toString();
  }
}
