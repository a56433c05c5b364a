package org.shadowref.shadow.reference;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.LongConsumer;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.arch.Access;
import org.shadowref.arch.Addr;
import org.shadowref.arch.ControlRegisters;
import org.shadowref.arch.CpuModel;
import org.shadowref.arch.EntryBits;
import org.shadowref.arch.PagingMode;
import org.shadowref.arch.qual.Gfn;
import org.shadowref.arch.qual.Gva;
import org.shadowref.arch.qual.Maddr;
import org.shadowref.arch.qual.Mfn;
import org.shadowref.emulate.EmulationResult;
import org.shadowref.emulate.InstructionExecutor;
import org.shadowref.memory.MachineMemory;
import org.shadowref.memory.P2m;
import org.shadowref.memory.P2mType;
import org.shadowref.mmu.AccessOutcome;
import org.shadowref.mmu.Walker;
import org.shadowref.shadow.GuestControl;
import org.shadowref.shadow.GuestMachine;
import org.shadowref.shadow.GuestOp;
import org.shadowref.shadow.OpResult;
import org.shadowref.shadow.Platform;
import org.shadowref.shadow.Vcpu;
import org.shadowref.shadow.WordFold;
import org.shadowref.shadow.core.Derivation;
import org.shadowref.shadow.core.FaultResolution;
import org.shadowref.shadow.core.GuestSide;
import org.shadowref.shadow.core.SeededBug;
import org.shadowref.shadow.core.SeededBugs;
import org.shadowref.shadow.core.HardwareStep;
import org.shadowref.shadow.core.ShadowHardware;
import org.shadowref.shadow.core.ShadowKey;
import org.shadowref.shadow.core.ShadowMode;
import org.shadowref.shadow.core.ShadowType;
import org.shadowref.shadow.entry.Propagation;
import org.shadowref.shadow.entry.ShadowFormat;
import org.shadowref.shadow.invariant.HandlerLog;
import org.shadowref.shadow.invariant.InvariantIds;
import org.shadowref.shadow.invariant.Preserves;
import org.shadowref.shadow.invariant.ShadowTable;
import org.shadowref.shadow.invariant.ShadowView;

/**
 * The reference shadow engine: everything Xen's {@code sh_page_fault} path does, written to be
 * read. No caches, no out-of-sync pages, no fast paths: every shadow entry is recomputed from the
 * guest's entry whenever that entry may have changed, so the shadows are always coherent and
 * INVLPG and flushes have nothing to do.
 *
 * <p>The "hardware" is {@link Walker} on the shadow tables in machine memory, with the shadow root
 * as CR3 and CR0.WP forced on. A hardware #PF enters {@link #pageFault}, whose body follows the
 * seed's numbered steps. Machine frames from the guest's frame limit up hold the shadows.
 */
public final class ReferenceEngine implements Platform, ShadowView {
  /** Handler runs one operation may need before it completes; more is an engine bug. */
  public static final int MAX_FAULTS_PER_OP = ShadowHardware.MAX_FAULTS_PER_OP;
  /** Frames a fault may need for new shadows: a 2-on-3 l2 (4) and l1 (2), or three 64-bit levels. */
  private static final int CHAIN_FRAMES = 8;
  /** The hardware's CPU model: its MAXPHYADDR covers every machine frame. */
  private static final CpuModel HOST_CPU = new CpuModel(52);

  /**
   * Engine configuration.
   *
   * @param twoOnTwo shadow 32-bit guests on 32-bit shadows (default: on PAE shadows, as Xen does)
   * @param poolFrames shadow frames the engine may use; 0: every frame the machine keeps for the
   *     hypervisor (a small pool makes {@code preallocate} drop shadows, a path of its own)
   * @param bugs seeded bugs, for tests and models only; each must be one the reference engine
   *     carries ({@link SeededBug#inReference})
   */
  public record Config(boolean twoOnTwo, int poolFrames, SeededBugs bugs) {
    public static final Config DEFAULT = new Config(false, 0, SeededBugs.NONE);

    public Config {
      for (SeededBug bug : bugs.asSet()) {
        if (!bug.inReference()) {
          throw new IllegalArgumentException("the reference engine does not carry the seeded bug " + bug);
        }
      }
    }

    public Config withTwoOnTwo(boolean on) {
      return new Config(on, poolFrames, bugs);
    }

    public Config withPoolFrames(int frames) {
      return new Config(twoOnTwo, frames, bugs);
    }

    public Config withBug(SeededBug bug) {
      return new Config(twoOnTwo, poolFrames, bugs.with(bug));
    }

    public boolean has(SeededBug bug) {
      return bugs.has(bug);
    }
  }

  private final GuestMachine guest;
  private final ShadowState state;
  private final Config config;
  private final InstructionExecutor cpu;
  private final InstructionExecutor emulator;
  /** The MMU and CPU the guest runs on, walking these shadows; a #PF enters {@link #pageFault}. */
  private final ShadowHardware hardware;
  /** The guest's own walk and the emulation of faulting accesses on its translation. */
  private final GuestSide guestSide;
  private final Derivation derivation;
  /** {@code config.bugs()}: asked for every shadow entry written. */
  private final SeededBugs bugs;
  /** The faults handled during the current operation (the progress check); not part of the state. */
  private final HandlerLog handlerLog = new HandlerLog();
  /**
   * Per vCPU, the table its current operation's user-mode store unshadowed, or -1. If the same
   * operation hits it again, the table is also on that operation's own translation path (a store
   * that straddles into a page the table maps): unshadowing again would only loop, so the store
   * is emulated. Reset when an operation begins and copied with the engine (a model may copy it
   * mid-operation); it lives no longer than one operation, so it is no part of the fingerprint.
   */
  private final long[] unshadowedThisOp;
  /** Told how each handled fault was resolved (campaign coverage); not part of the state. */
  private @Nullable ResolutionListener resolutionListener;

  /** Hears the resolution of every fault the handler takes (for coverage reports). */
  public interface ResolutionListener {
    void resolved(FaultResolution.Kind kind);
  }

  /** Installs (or with null, removes) the listener told about every fault resolution. */
  public void setResolutionListener(@Nullable ResolutionListener listener) {
    resolutionListener = listener;
  }

  /**
   * @param guest the guest to run; machine frames from its guest frame limit up become shadows
   * @param cpu the executor playing the CPU for {@link GuestOp.Execute} (the independent one)
   * @param emulator the hypervisor's emulator, for stores to shadowed page tables
   */
  public ReferenceEngine(GuestMachine guest, Config config, InstructionExecutor cpu, InstructionExecutor emulator) {
    this(guest, newState(guest, config), config, cpu, emulator);
    for (int vcpu = 0; vcpu < guest.vcpuCount(); vcpu++) {
      installTop(guest.vcpu(vcpu));
    }
  }

  private ReferenceEngine(
      GuestMachine guest, ShadowState state, Config config, InstructionExecutor cpu, InstructionExecutor emulator) {
    this.guest = guest;
    this.unshadowedThisOp = new long[guest.vcpuCount()];
    Arrays.fill(unshadowedThisOp, -1);
    this.state = state;
    this.config = config;
    this.cpu = cpu;
    this.emulator = emulator;
    this.derivation = new Derivation(guest);
    this.bugs = config.bugs();
    Hooks hooks = new Hooks();
    this.hardware = new ShadowHardware(guest, HOST_CPU, cpu, hooks);
    this.guestSide = new GuestSide(guest, hooks);
  }

  /** What the shared hardware and guest side call back into: the handler and the revalidating writes. */
  private final class Hooks implements ShadowHardware.Engine, GuestSide.Writes {
    @Override
    public ControlRegisters hardwareRegs(int vcpu) {
      return ReferenceEngine.this.hardwareRegs(vcpu);
    }

    @Override
    public FaultResolution pageFault(int vcpu, @Gva long va, int errorCode, GuestOp faultingOp) {
      return ReferenceEngine.this.pageFault(vcpu, va, errorCode, faultingOp);
    }

    @Override
    public void writeGuestMachine(@Maddr long maddr, int size, long value, boolean dataWrite) {
      ReferenceEngine.this.writeGuestMachine(maddr, size, value, dataWrite);
    }

    @Override
    public String toString() {
      return ReferenceEngine.this.toString();
    }
  }

  private boolean seeded(SeededBug bug) {
    return bugs.has(bug);
  }

  private static ShadowState newState(GuestMachine guest, Config config) {
    int available = guest.machine().frameCount() - guest.guestFrameLimit();
    int frames = config.poolFrames() > 0 ? Math.min(config.poolFrames(), available) : available;
    return new ShadowState(guest.guestFrameLimit(), frames, guest.vcpuCount());
  }

  @Override
  public String name() {
    return "reference";
  }

  public Config config() {
    return config;
  }

  /** The shadow index, frames, roots and lock, read-only to callers outside this package. */
  public ShadowState state() {
    return state;
  }

  // ---------------------------------------------------------------------------------------------
  // Operations

  @Override
  @Preserves({
    InvariantIds.NO_AMPLIFY,
    InvariantIds.ISOLATION,
    InvariantIds.WRITE_PROTECT,
    InvariantIds.COHERENT,
    InvariantIds.SHADOW_STRUCTURE
  })
  public OpResult apply(GuestOp op) {
    beginOperation(op.vcpu());
    Vcpu vcpu = guest.vcpu(op.vcpu());
    if (op instanceof GuestOp.MemoryAccess) {
      return hardware.access((GuestOp.MemoryAccess) op);
    }
    if (op instanceof GuestOp.Execute) {
      return hardware.execute((GuestOp.Execute) op);
    }
    if (op instanceof GuestOp.LoadCr3) {
      GuestControl.loadCr3(vcpu, (GuestOp.LoadCr3) op);
      installTop(vcpu);
      return OpResult.DONE;
    }
    if (op instanceof GuestOp.SetControl) {
      String refusal = GuestControl.apply(vcpu, (GuestOp.SetControl) op);
      if (refusal != null) {
        return OpResult.invalid(refusal);
      }
      installTop(vcpu);
      return OpResult.DONE;
    }
    // INVLPG and flushes: every guest table write is revalidated as it happens, so the shadows
    // never hold a translation the guest has withdrawn and there is nothing to resync.
    return OpResult.DONE;
  }

  /**
   * A new operation of {@code vcpu} begins: the handler log and the per-operation memory of
   * unshadowing start empty. {@link #apply} and {@link #perform} call it; a model that drives the
   * hardware step and the handler itself calls it when it starts an operation.
   */
  public void beginOperation(int vcpu) {
    handlerLog.clear();
    unshadowedThisOp[vcpu] = -1;
  }

  /** {@link #apply} without the result record: an access the hardware completes allocates nothing. */
  @Override
  public long perform(GuestOp op) {
    beginOperation(op.vcpu());
    return op instanceof GuestOp.MemoryAccess ? hardware.perform((GuestOp.MemoryAccess) op) : apply(op).digest();
  }

  /**
   * The hardware's half of an access: walk the shadows (setting their A/D bits as a CPU would)
   * and, if they allow it, read or write machine memory. No engine code runs here.
   */
  public HardwareStep hardwareStep(GuestOp.MemoryAccess op) {
    return hardware.step(op);
  }

  // ---------------------------------------------------------------------------------------------
  // The page-fault handler

  /** {@link #pageFault(int, long, int, GuestOp, boolean)} outside event injection. */
  public FaultResolution pageFault(int vcpu, @Gva long va, int errorCode, GuestOp faultingOp) {
    return pageFault(vcpu, va, errorCode, faultingOp, false);
  }

  /**
   * The shadow page-fault handler ({@code sh_page_fault}): the hardware raised #PF with
   * {@code errorCode} at {@code va} while {@code faultingOp} ran on vCPU {@code vcpu}. The access
   * kind comes from the error code (W, U, I/D); the operation stands for the instruction at RIP,
   * which the handler emulates when it must.
   *
   * @param duringEventInjection whether the fault hit while the CPU was delivering an event (the
   *     instruction at RIP did not cause it, so it must not be emulated)
   */
  @Preserves({
    InvariantIds.NO_AMPLIFY,
    InvariantIds.ISOLATION,
    InvariantIds.WRITE_PROTECT,
    InvariantIds.COHERENT,
    InvariantIds.SHADOW_STRUCTURE
  })
  public FaultResolution pageFault(
      int vcpu, @Gva long va, int errorCode, GuestOp faultingOp, boolean duringEventInjection) {
    // 1. A fault taken while this vCPU holds the shadow lock was raised by the engine itself:
    //    never handle it as a shadow fault.
    if (state.lockOwner() == vcpu) {
      return FaultResolution.NOT_SHADOW_FAULT;
    }
    acquireLock(vcpu);
    try {
      Access access = ShadowHardware.faultingAccess(errorCode, hardwareRegs(vcpu), faultingOp);
      FaultResolution resolution = handle(guest.vcpu(vcpu), va, access, faultingOp, duringEventInjection);
      handlerLog.add(va, errorCode, resolution.kind().name());
      ResolutionListener listener = resolutionListener;
      if (listener != null) {
        listener.resolved(resolution.kind());
      }
      return resolution;
    } finally {
      releaseLock(vcpu);
    }
  }

  private FaultResolution handle(
      Vcpu vcpu, @Gva long va, Access access, GuestOp faultingOp, boolean duringEventInjection) {
    preallocate(CHAIN_FRAMES);
    // 2. Walk the guest's tables as the CPU would, setting their A and D bits.
    AccessOutcome target = walkGuest(vcpu, va, access);
    // 3. A fault of the guest's own making goes to the guest with the native error code.
    if (isGuestOwnFault(target)) {
      return FaultResolution.ending(OpResult.of(target, 0), false);
    }
    // 4. MMIO, writes to read-only RAM and frames with nothing behind them leave to the device model.
    if (!target.isOk()) {
      return FaultResolution.ending(OpResult.of(target, 0), false);
    }
    @Mfn long targetMfn = Addr.mfnOf(Addr.maddr(target.address()));
    // 5. Build the missing shadow levels and propagate the guest l1e into the shadow l1e.
    if (!seeded(SeededBug.NO_SHADOW_BUILT)) {
      shadowL1eFor(vcpu, va);
    }
    // 6. A write to a shadowed page table: emulate it, or take the hint that it is no page table.
    if (access.isWrite() && isShadowedPageTable(targetMfn)) {
      if (access.user() || duringEventInjection) {
        if (targetMfn == unshadowedThisOp[vcpu.id()]) {
          return emulateAccess(vcpu, faultingOp, target);
        }
        unshadowedThisOp[vcpu.id()] = targetMfn;
        unshadow(targetMfn);
        shadowL1eFor(vcpu, va);
      } else {
        return emulateTableWrite(vcpu, va, access, faultingOp, target);
      }
    }
    // 7. Rights the shadows cannot express (a supervisor write to a read-only page with guest
    //    CR0.WP clear; a guest table whose A bit cannot be set) are served by emulation.
    if (!hardwareAllows(vcpu.id(), va, access)) {
      return emulateAccess(vcpu, faultingOp, target);
    }
    // 8. Retry: the hardware walk now succeeds.
    return FaultResolution.FIXED;
  }

  /** Takes the shadow lock for {@code vcpu}; models call it to stage a recursive fault. */
  public void acquireLock(int vcpu) {
    if (state.lockOwner() != ShadowState.NO_OWNER) {
      throw new IllegalStateException(
          "vcpu" + vcpu + " takes the shadow lock held by vcpu" + state.lockOwner());
    }
    state.setLockOwner(vcpu);
  }

  public void releaseLock(int vcpu) {
    if (state.lockOwner() != vcpu) {
      throw new IllegalStateException("vcpu" + vcpu + " releases a lock it does not hold");
    }
    state.setLockOwner(ShadowState.NO_OWNER);
  }

  /**
   * The guest walk ({@code guest_walk_tables}): the native walk on the guest's tables, its A/D
   * updates written through the engine so the shadows of those entries are revalidated; then the
   * P2M decides where the access lands.
   */
  private AccessOutcome walkGuest(Vcpu vcpu, @Gva long va, Access access) {
    return guestSide.walk(vcpu, va, access);
  }

  private static boolean isGuestOwnFault(AccessOutcome target) {
    return target.kind() == AccessOutcome.Kind.GUEST_FAULT;
  }

  /**
   * Builds the chain of shadows the hardware walks for {@code va} ({@code
   * shadow_get_and_create_l1e}), creating missing levels below the top, and propagates the guest
   * entries into it down to the l1e. Stops early where a guest entry cannot be shadowed yet.
   */
  private void shadowL1eFor(Vcpu vcpu, @Gva long va) {
    ShadowKey rootKey = state.root(vcpu.id());
    Shadow shadow = rootKey == null ? null : state.find(rootKey);
    if (shadow == null) {
      throw new IllegalStateException("vcpu" + vcpu.id() + " has no top-level shadow");
    }
    PagingMode hostMode = shadow.type().mode().hostMode();
    long linear = hostMode.truncate(va);
    int part = 0;
    for (int level = hostMode.levels(); level >= 1; level--) {
      int index = hostMode.index(linear, level);
      if (level == hostMode.levels()) {
        index += shadow.type().topOffset(vcpu.regs());
      }
      if (level == 1) {
        propagateL1e(shadow, part, index);
        return;
      }
      Derivation.Child child = new Derivation.Child();
      if (!derivation.childOf(shadow.key(), part, index, child)) {
        return;
      }
      ShadowKey childKey = child.key();
      Shadow next = state.find(childKey);
      if (next == null) {
        next = createShadow(childKey);
      }
      setEntry(shadow, part, index, derive(shadow, part, index));
      if (next.refs() == 0) {
        destroy(next); // the guest entry cannot be shadowed yet (its A bit could not be set)
        return;
      }
      shadow = next;
      part = child.part();
    }
  }

  /** {@code l1e_propagate_from_guest}: the shadow l1e becomes the propagation of the guest l1e. */
  private void propagateL1e(Shadow l1, int part, int index) {
    setEntry(l1, part, index, derive(l1, part, index));
  }

  /** Whether the hardware walk of the shadows now lets the access through (A/D untouched). */
  private boolean hardwareAllows(int vcpu, @Gva long va, Access access) {
    return !seeded(SeededBug.HARDWARE_NEVER_ALLOWS) && hardware.allows(vcpu, va, access);
  }

  /**
   * A supervisor store to a shadowed page table: emulate the instruction, then the guest entries
   * it wrote have their shadows revalidated (done write by write). If the emulator cannot do it,
   * take that as a hint that the page is no longer a page table and unshadow it.
   */
  private FaultResolution emulateTableWrite(
      Vcpu vcpu, @Gva long va, Access access, GuestOp op, AccessOutcome target) {
    if (op instanceof GuestOp.MemoryAccess) {
      return emulateAccess(vcpu, op, target);
    }
    GuestOp.Execute execute = (GuestOp.Execute) op;
    EmulationResult result = guestSide.runInstruction(emulator, vcpu, execute);
    if (result.kind() != EmulationResult.Kind.UNHANDLEABLE) {
      return GuestSide.instructionEnded(result);
    }
    unshadow(Addr.mfnOf(Addr.maddr(target.address())));
    shadowL1eFor(vcpu, va);
    if (hardwareAllows(vcpu.id(), va, access)) {
      return FaultResolution.FIXED;
    }
    // Still protected (a vCPU's live top, or a table on its own translation path): let the CPU
    // perform this one instruction with the protection set aside, then revalidate.
    return GuestSide.instructionEnded(guestSide.runInstruction(cpu, vcpu, execute));
  }

  /**
   * Performs the faulting access for the guest: a plain access through the guest walk's
   * translation, an instruction through the hypervisor's emulator (or, if it gives up, through
   * the CPU itself with the shadows' protection set aside for that one instruction).
   */
  private FaultResolution emulateAccess(Vcpu vcpu, GuestOp op, AccessOutcome target) {
    return guestSide.emulateAccess(vcpu, op, target, emulator, cpu);
  }

  /**
   * Writes guest memory on the guest's behalf and revalidates every shadow entry derived from
   * the bytes written ({@code sh_validate_guest_entry}).
   */
  private void writeGuestMachine(@Maddr long maddr, int size, long value, boolean dataWrite) {
    if (!dataWrite && seeded(SeededBug.WALK_SETS_DIRTY_ON_READ)) {
      value |= EntryBits.D;
    }
    guest.machine().write(maddr, size, value);
    if (dataWrite && seeded(SeededBug.SKIP_REVALIDATE)) {
      return;
    }
    revalidateGuestWrite(Addr.mfnOf(maddr), (int) Addr.pageOffset(maddr), size);
  }

  private void revalidateGuestWrite(@Mfn long mfn, int offset, int size) {
    for (Shadow shadow : state.shadows()) {
      if (!state.holds(shadow) || !derivation.derivedFrom(shadow.key(), mfn)) {
        continue; // destroyed by an earlier revalidation, or derived from another frame
      }
      int guestBytes = seeded(SeededBug.SHADOW_WIDTH_FOR_GUEST_ENTRIES)
          ? shadow.type().entryBytes() : Derivation.guestEntryBytes(shadow.type());
      int firstGuest = offset / guestBytes;
      int lastGuest = seeded(SeededBug.STRADDLE_REVALIDATES_FIRST_ENTRY) ? firstGuest : (offset + size - 1) / guestBytes;
      int parts = seeded(SeededBug.UPPER_HALF_NOT_REVALIDATED) ? 1 : shadow.parts();
      for (int part = 0; part < parts; part++) {
        int to = Derivation.derivedRunEnd(shadow.key(), part, firstGuest, lastGuest);
        for (int index = Derivation.derivedRunStart(shadow.key(), part, firstGuest, lastGuest);
            index < to && state.holds(shadow); index++) {
          setEntry(shadow, part, index, derive(shadow, part, index));
        }
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Unshadowing and write protection

  /** Whether {@code mfn} holds a guest page table with shadows ({@code sh_mfn_is_a_page_table}). */
  public boolean isShadowedPageTable(@Mfn long mfn) {
    for (Shadow shadow : state.shadowsView()) {
      if (derivation.derivedFrom(shadow.key(), mfn)) {
        return true;
      }
    }
    return false;
  }

  /**
   * {@code sh_remove_shadows}: drops every shadow of the guest frame at {@code mfn} by clearing
   * the entries that point at it. A top-level shadow a vCPU runs on stays (its CR3 needs it).
   */
  public void unshadow(@Mfn long mfn) {
    for (Shadow victim : state.shadows()) {
      if (!state.holds(victim) || !derivation.derivedFrom(victim.key(), mfn)) {
        continue;
      }
      for (Shadow parent : state.shadows()) {
        if (!state.holds(parent) || !parent.type().holdsPointers()) {
          continue;
        }
        clearPointersTo(parent, victim);
        if (!state.holds(victim)) {
          break;
        }
      }
    }
  }

  private void clearPointersTo(Shadow parent, Shadow victim) {
    for (int part = 0; part < parent.parts(); part++) {
      for (int index = 0; index < parent.type().entriesPerFrame(); index++) {
        if (!state.holds(parent) || !state.holds(victim)) {
          return;
        }
        long entry = readEntry(parent, part, index);
        if (isPresent(entry)) {
          Shadow child = state.owner(frameOf(parent.type(), entry));
          if (child == victim) {
            setEntry(parent, part, index, 0);
          }
        }
      }
    }
  }

  /**
   * Recomputes every present shadow leaf that maps {@code mfn}: run when the frame becomes a
   * shadowed page table (its mappings lose write access) and when it stops being one.
   */
  private void revalidateMappingsOf(@Mfn long mfn) {
    for (Shadow shadow : state.shadows()) {
      if (shadow.type().holdsPointers() || !state.holds(shadow)) {
        continue;
      }
      for (int part = 0; part < shadow.parts(); part++) {
        if (shadow.type().entryBytes() == 8) {
          // One entry per word: the present entries mapping mfn are found without a read each.
          long mask = EntryBits.P | EntryBits.ADDR_MASK_64;
          long wanted = EntryBits.P | Addr.maddrOf(mfn, 0);
          MachineMemory memory = guest.machine();
          for (int index = memory.nextWordMatching(shadow.mfn(part), 0, mask, wanted);
              index >= 0 && state.holds(shadow);
              index = memory.nextWordMatching(shadow.mfn(part), index + 1, mask, wanted)) {
            setEntry(shadow, part, index, derive(shadow, part, index));
          }
          continue;
        }
        for (int index = 0; index < shadow.type().entriesPerFrame(); index++) {
          long entry = readEntry(shadow, part, index);
          if (isPresent(entry) && frameOf(shadow.type(), entry) == mfn && state.holds(shadow)) {
            setEntry(shadow, part, index, derive(shadow, part, index));
          }
        }
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Top-level shadows

  /** Installs the top-level shadow for the vCPU's current guest root and modes (a CR3 load). */
  private void installTop(Vcpu vcpu) {
    ShadowKey wanted = topKeyFor(vcpu.regs());
    ShadowKey current = state.root(vcpu.id());
    if (current != null && wanted.equals(current)) {
      return;
    }
    preallocate(CHAIN_FRAMES);
    Shadow top = state.find(wanted);
    if (top == null) {
      if (wanted.type() == ShadowType.L3_32_PAE) {
        ShadowKey l2 = new ShadowKey(ShadowType.L2_32_PAE, wanted.gfn(), 0, wanted.flavour());
        if (state.find(l2) == null) {
          createShadow(l2);
        }
      }
      top = createShadow(wanted);
      for (int index = 0; index < 4 && top.type() == ShadowType.L3_32_PAE; index++) {
        setEntry(top, 0, index, derive(top, 0, index));
      }
    }
    top.addRef();
    state.setRoot(vcpu.id(), wanted);
    if (current != null) {
      Shadow old = state.find(current);
      if (old != null && old.dropRef()) {
        destroy(old);
      }
    }
  }

  /** The shadow mode for a vCPU's registers. */
  public ShadowMode shadowModeFor(ControlRegisters regs) {
    return ShadowMode.of(regs, config.twoOnTwo());
  }

  private ShadowKey topKeyFor(ControlRegisters regs) {
    return shadowModeFor(regs).topKey(regs, guest.cpu().maxPhysAddr());
  }

  /**
   * The registers the hardware runs the vCPU with ({@link ShadowMode#hardwareRegs}), CR3 pointing
   * at the vCPU's top-level shadow (the guest's PDPT slot of a 3-on-3 top).
   */
  @Override
  public ControlRegisters hardwareRegs(int vcpu) {
    ControlRegisters regs = guest.vcpu(vcpu).regs();
    ShadowKey rootKey = state.root(vcpu);
    Shadow root = rootKey == null ? null : state.find(rootKey);
    int topOffset = seeded(SeededBug.PAE_CR3_LOW_BITS_DROPPED) || root == null ? 0 : root.type().topOffset(regs);
    long cr3 = root == null ? 0 : Addr.maddrOf(root.mfn(0), 0) + ((long) topOffset << 3);
    ControlRegisters hardware = shadowModeFor(regs).hardwareRegs(regs, cr3);
    return seeded(SeededBug.HARDWARE_DROPS_SMAP) ? hardware.withCr4(hardware.cr4() & ~ControlRegisters.CR4_SMAP) : hardware;
  }

  // ---------------------------------------------------------------------------------------------
  // Shadow tables: creation, entries, reference counts, destruction

  /**
   * Makes sure {@code frames} shadow frames are free ({@code shadow_prealloc}); if not, drops every
   * shadow below the tops ({@code shadow_blow_tables}) and lets faults rebuild them.
   */
  private void preallocate(int frames) {
    if (state.freeFrames() >= frames) {
      return;
    }
    for (Shadow shadow : state.shadows()) {
      if (!state.holds(shadow) || !isDroppable(shadow)) {
        continue;
      }
      for (int part = 0; part < shadow.parts(); part++) {
        for (int index = 0; index < shadow.type().entriesPerFrame(); index++) {
          if (state.holds(shadow)) {
            setEntry(shadow, part, index, 0);
          }
        }
      }
    }
    if (state.freeFrames() < frames) {
      throw new IllegalStateException(
          "shadow memory exhausted: " + state.freeFrames() + " of " + state.totalFrames()
              + " frames free after dropping all shadows below the tops, " + frames + " needed");
    }
  }

  /** Whether clearing this table's entries frees shadows without breaking a top's structure. */
  private static boolean isDroppable(Shadow shadow) {
    ShadowType type = shadow.type();
    if (type == ShadowType.L3_32_PAE) {
      return false; // its entries are the l2 shadow's parts, which the top cannot do without
    }
    return type.isTop() || type == ShadowType.L2_32_PAE;
  }

  private Shadow createShadow(ShadowKey key) {
    boolean wasPageTable = key.type().shadowsGuestFrame() && guestFrameIsShadowed(key.gfn());
    Shadow shadow = state.insert(key);
    for (int part = 0; part < shadow.parts(); part++) {
      guest.machine().zeroFrame(shadow.mfn(part));
    }
    if (key.type().shadowsGuestFrame() && !wasPageTable && guest.p2m().type(key.gfn()).isRam()) {
      // INV-WRITE-PROTECT: the frame just became a shadowed page table.
      revalidateMappingsOf(guest.p2m().mfn(key.gfn()));
    }
    return shadow;
  }

  private boolean guestFrameIsShadowed(@Gfn long gfn) {
    return guest.p2m().type(gfn).isRam() && isShadowedPageTable(guest.p2m().mfn(gfn));
  }

  private void destroy(Shadow shadow) {
    if (shadow.type().holdsPointers()) {
      for (int part = 0; part < shadow.parts(); part++) {
        for (int index = 0; index < shadow.type().entriesPerFrame(); index++) {
          setEntry(shadow, part, index, 0);
        }
      }
    }
    state.remove(shadow);
    for (int part = 0; part < shadow.parts(); part++) {
      guest.machine().zeroFrame(shadow.mfn(part));
    }
    @Gfn long gfn = shadow.key().gfn();
    if (shadow.type().shadowsGuestFrame() && guest.p2m().type(gfn).isRam()
        && !guestFrameIsShadowed(gfn)) {
      // The frame stopped being a page table: its mappings may be writable again.
      revalidateMappingsOf(guest.p2m().mfn(gfn));
    }
  }

  /** Writes one shadow entry, moving references from the shadow it pointed at to the new one. */
  private void setEntry(Shadow shadow, int part, int index, long value) {
    long old = readEntry(shadow, part, index);
    if (old == value) {
      return;
    }
    ShadowType type = shadow.type();
    if (type.holdsPointers() && isPresent(value)) {
      ownerOf(type, value).addRef();
    }
    guest.machine().write(entryAddress(shadow, part, index), type.entryBytes(), value);
    if (type.holdsPointers() && isPresent(old) && !seeded(SeededBug.LEAK_REFCOUNT)) {
      Shadow child = ownerOf(type, old);
      if (child.dropRef()) {
        destroy(child);
      }
    }
  }

  private Shadow ownerOf(ShadowType type, long entry) {
    Shadow owner = state.owner(frameOf(type, entry));
    if (owner == null) {
      throw new IllegalStateException("shadow entry " + Addr.hex(entry) + " points at no shadow");
    }
    return owner;
  }

  private long readEntry(Shadow shadow, int part, int index) {
    return guest.machine().read(entryAddress(shadow, part, index), shadow.type().entryBytes());
  }

  private static @Maddr long entryAddress(Shadow shadow, int part, int index) {
    return Addr.maddrOf(shadow.mfn(part), (long) index * shadow.type().entryBytes());
  }

  private static boolean isPresent(long entry) {
    return (entry & EntryBits.P) != 0;
  }

  private static @Mfn long frameOf(ShadowType type, long entry) {
    long mask = type.entryBytes() == 4 ? EntryBits.ADDR_MASK_32 : EntryBits.ADDR_MASK_64;
    return Addr.mfn((entry & mask) >>> Addr.PAGE_SHIFT);
  }

  // ---------------------------------------------------------------------------------------------
  // Derivation: what every shadow entry must be, given the guest's current entries

  /**
   * The value entry {@code index} of frame {@code part} of {@code shadow} must have: the
   * propagation of the guest entry it shadows ({@code _sh_propagate}), or 0 when that entry
   * cannot be shadowed now (not present, reserved bits, A clear, child shadow not built yet).
   */
  public long derive(Shadow shadow, int part, int index) {
    if (!shadow.type().holdsPointers()) {
      Derivation.Leaf leaf = new Derivation.Leaf();
      int slicePart = seeded(SeededBug.SPLINTER_SECOND_HALF_MAPS_FIRST) && shadow.type() == ShadowType.FL1_32_PAE ? 0 : part;
      if (derivation.leafOf(shadow.key(), slicePart, index, leaf) != Derivation.Source.MAPPED) {
        return 0;
      }
      boolean splinter = shadow.type().role() == ShadowType.Role.SPLINTER;
      @Gfn long gfn = splinter && seeded(SeededBug.SPLINTER_OFF_BY_ONE) ? Addr.gfn(leaf.gfn() + 1) : leaf.gfn();
      if (splinter && seeded(SeededBug.PSE36_HIGH_BITS_DROPPED) && shadow.type().mode().guestMode() == PagingMode.TWO_LEVEL) {
        gfn = Addr.gfn(gfn & 0xF_FFFFL);
      }
      return leafFor(splinter && seeded(SeededBug.PAT_BIT_NOT_MOVED) ? leaf.guestLeaf() | EntryBits.PS : leaf.guestLeaf(),
          gfn, shadow.key().nxe(), shadow.type().mode().format());
    }
    Derivation.Child child = new Derivation.Child();
    if (!derivation.childOf(shadow.key(), part, index, child)) {
      return 0;
    }
    Shadow target = state.find(child.key());
    if (target == null) {
      return 0;
    }
    long entry = Propagation.directory(
        child.guestEntry(), child.guestMode(), child.guestLevel(), target.mfn(child.part()),
        shadow.key().nxe(), shadow.type().mode().format());
    return seeded(SeededBug.DIRECTORY_DROPS_NX) ? entry & ~EntryBits.NX : entry;
  }

  /** {@link Propagation#leaf} for a guest leaf mapping {@code gfn}, with the seeded bugs. */
  private long leafFor(long guestLeaf, @Gfn long gfn, boolean nxe, ShadowFormat format) {
    P2m p2m = guest.p2m();
    P2mType type = p2m.type(gfn);
    @Mfn long mfn = p2m.mfn(gfn);
    boolean pageTable = type.isRam() && isShadowedPageTable(mfn);
    long leaf = Propagation.leaf(
        seeded(SeededBug.IGNORE_DIRTY) ? guestLeaf | EntryBits.D : guestLeaf,
        type, mfn, pageTable && !seeded(SeededBug.SKIP_WRITE_PROTECT), nxe, format);
    if (seeded(SeededBug.DROP_NX)) {
      leaf &= ~EntryBits.NX;
    }
    if (seeded(SeededBug.DROP_CACHE_BITS)) {
      leaf &= ~(EntryBits.PWT | EntryBits.PCD);
    }
    if (seeded(SeededBug.MAP_SHADOW_FRAME) && pageTable && leaf != 0) {
      for (Shadow shadow : state.shadowsView()) {
        if (derivation.derivedFrom(shadow.key(), mfn)) {
          leaf = (leaf & ~EntryBits.ADDR_MASK_64) | Addr.maddrOf(shadow.mfn(0), 0);
          break;
        }
      }
    }
    return leaf;
  }

  // ---------------------------------------------------------------------------------------------
  // Platform: copies and fingerprints

  @Override
  public GuestMachine guest() {
    return guest;
  }

  @Override
  public ReferenceEngine copy() {
    ReferenceEngine copy = new ReferenceEngine(guest.copy(), state.copy(), config, cpu, emulator);
    System.arraycopy(unshadowedThisOp, 0, copy.unshadowedThisOp, 0, unshadowedThisOp.length);
    return copy;
  }

  /** Overwrites {@code target} in place when it is an engine of the same configuration. */
  @Override
  public ReferenceEngine copyInto(Platform target) {
    if (!(target instanceof ReferenceEngine)) {
      return copy();
    }
    ReferenceEngine engine = (ReferenceEngine) target;
    if (engine.config != config || engine.cpu != cpu || engine.emulator != emulator) {
      return copy();
    }
    guest.copyInto(engine.guest);
    state.copyInto(engine.state);
    System.arraycopy(unshadowedThisOp, 0, engine.unshadowedThisOp, 0, unshadowedThisOp.length);
    engine.resolutionListener = null;
    return engine;
  }

  @Override
  public long fingerprint() {
    return WordFold.of(this);
  }

  /** Guest memory, P2M and vCPUs; the shadow index, frames and contents; roots and the lock. */
  @Override
  public void fingerprint(LongConsumer into) {
    guest.fingerprint(into);
    state.fingerprint(into);
    for (Shadow shadow : state.shadowsView()) {
      for (int part = 0; part < shadow.parts(); part++) {
        guest.machine().frameDigest(shadow.mfn(part), into);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // ShadowView: the read-only inspection the invariant predicates use

  @Override
  public CpuModel hostCpu() {
    return HOST_CPU;
  }

  @Override
  public List<ShadowTable> shadowTables() {
    List<ShadowTable> tables = new ArrayList<>();
    for (Shadow shadow : state.shadowsView()) {
      tables.add(describe(shadow));
    }
    return tables;
  }

  @Override
  public @Nullable ShadowTable tableAt(long mfn) {
    Shadow shadow = state.owner(Addr.mfn(mfn));
    return shadow == null ? null : describe(shadow);
  }

  @Override
  public @Nullable ShadowTable rootOf(int vcpu) {
    ShadowKey key = state.root(vcpu);
    Shadow shadow = key == null ? null : state.find(key);
    return shadow == null ? null : describe(shadow);
  }

  @Override
  public boolean isShadowedFrame(long mfn) {
    return isShadowedPageTable(Addr.mfn(mfn));
  }

  @Override
  public HandlerLog handlerLog() {
    return handlerLog;
  }

  @Override
  public long derivedEntry(ShadowTable table, int part, int index) {
    Shadow shadow = state.owner(Addr.mfn(table.mfn(0)));
    if (shadow == null) {
      throw new IllegalArgumentException("no shadow at " + table);
    }
    return derive(shadow, part, index);
  }

  private static ShadowTable describe(Shadow shadow) {
    ShadowType type = shadow.type();
    return new ShadowTable(
        shadow.name(), type.name(), shadow.key().gfn(), type.level(), type.shadowsGuestFrame(),
        shadow.mfnArray(), type.entryBytes(), shadow.refs(), false, type.childTypeNames(),
        shadow.key().slot(), shadow.key().pse(), shadow.key().nxe());
  }

  @Override
  public String toString() {
    return "reference engine: " + state;
  }
}
