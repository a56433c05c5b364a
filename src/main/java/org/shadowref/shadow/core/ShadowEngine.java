package org.shadowref.shadow.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.arch.Access;
import org.shadowref.arch.Addr;
import org.shadowref.arch.ControlRegisters;
import org.shadowref.arch.CpuModel;
import org.shadowref.arch.qual.Gfn;
import org.shadowref.arch.qual.Gva;
import org.shadowref.arch.qual.Maddr;
import org.shadowref.arch.qual.Mfn;
import org.shadowref.emulate.EmulationResult;
import org.shadowref.emulate.InstructionExecutor;
import org.shadowref.memory.P2mType;
import org.shadowref.mmu.AccessOutcome;
import org.shadowref.mmu.MutableOutcome;
import org.shadowref.shadow.GuestControl;
import org.shadowref.shadow.GuestMachine;
import org.shadowref.shadow.GuestOp;
import org.shadowref.shadow.HypervisorP2m;
import org.shadowref.shadow.OpResult;
import org.shadowref.shadow.Platform;
import org.shadowref.shadow.ShadowEvents;
import org.shadowref.shadow.Vcpu;
import org.shadowref.shadow.invariant.HandlerLog;
import org.shadowref.shadow.invariant.InvariantIds;
import org.shadowref.shadow.invariant.Preserves;
import org.shadowref.shadow.invariant.ShadowTable;
import org.shadowref.shadow.invariant.ShadowView;

/**
 * What every shadow engine is around its page-fault handler: it runs the guest on {@link
 * ShadowHardware}, which walks the shadows and enters {@link #pageFault} on a #PF; the handler runs
 * under the shadow lock, which also tells a fault the engine raised itself (step 1 of {@code
 * sh_page_fault}); each fault's {@link Fault} is decoded once; each resolution is logged for the
 * progress check. An engine supplies its handler ({@link #handle}), its control operations, its
 * hardware registers and its revalidating writes of guest memory.
 */
public abstract class ShadowEngine<S extends ShadowStore> extends ShadowTables<S> implements Platform, ShadowView {
  /** Handler runs one operation may need before it completes; more is an engine bug. */
  public static final int MAX_FAULTS_PER_OP = ShadowHardware.MAX_FAULTS_PER_OP;
  /** Frames a fault may need for new shadows: a 2-on-3 l2 (4) and l1 (2), or three 64-bit levels. */
  protected static final int CHAIN_FRAMES = 8;
  /** {@link #lockOwner} when no vCPU holds the shadow lock. */
  public static final int NO_OWNER = -1;

  /** The executor playing the CPU for {@link GuestOp.Execute} (the independent one). */
  protected final InstructionExecutor cpu;
  /** The hypervisor's emulator, for stores to shadowed page tables. */
  protected final InstructionExecutor emulator;
  /** The MMU and CPU the guest runs on, walking these shadows; a #PF enters {@link #pageFault}. */
  protected final ShadowHardware hardware;
  /** The guest's own walk and the emulation of faulting accesses on its translation. */
  protected final GuestSide guestSide;
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
  /** Log-dirty mode: whether it is on, the frames written since the last clean. */
  protected final DirtyLog dirtyLog = new DirtyLog();
  /** Told how each handled fault was resolved (coverage, benchmarks); not part of the state. */
  private @Nullable ResolutionListener resolutionListener;
  /** Told of what the engine does inside that no observer sees (coverage); not part of the state. */
  protected ShadowEvents events = ShadowEvents.NONE;
  /**
   * Hears each handler window an engine opens between a guest walk and the shadow lock (a model,
   * or a {@link GuestOp.Raced} in progress); null when nobody races. Not part of the state.
   */
  private @Nullable RaceWindow raceWindow;

  /**
   * The point of a fault's handling where another vCPU may run: the guest walk is done, the shadow
   * lock not yet taken. Only an engine that walks before taking the lock opens one.
   */
  public interface RaceWindow {
    /** vCPU {@code vcpu} has walked the guest's tables for its fault and is about to take the lock. */
    void open(int vcpu);
  }

  /** Hears the resolution of every fault the handler takes (for coverage reports). */
  public interface ResolutionListener {
    /** The handler resolved a fault as {@code kind}. */
    void resolved(FaultResolution.Kind kind);
  }

  /**
   * The handler for {@code guest}, keeping its shadows in {@code state}.
   *
   * @param guest the guest to run; machine frames from its guest frame limit up become shadows
   * @param state where the engine keeps its shadows
   * @param bugs seeded bugs, for tests and models only
   * @param twoOnTwo whether 32-bit guests run on 32-bit shadows
   * @param hostCpu the CPU model of the hardware that walks the shadows
   */
  protected ShadowEngine(GuestMachine guest, S state, SeededBugs bugs, boolean twoOnTwo, CpuModel hostCpu,
      InstructionExecutor cpu, InstructionExecutor emulator) {
    super(guest, state, bugs, twoOnTwo);
    this.cpu = cpu;
    this.emulator = emulator;
    this.unshadowedThisOp = new long[guest.vcpuCount()];
    Arrays.fill(unshadowedThisOp, -1);
    Hooks hooks = new Hooks();
    this.hardware = new ShadowHardware(guest, hostCpu, cpu, hooks);
    this.guestSide = new GuestSide(guest, hooks);
  }

  /** What the shared hardware and guest side call back into: the handler and the revalidating writes. */
  private final class Hooks implements ShadowHardware.Engine, GuestSide.Writes {
    @Override
    public ControlRegisters hardwareRegs(int vcpu) {
      return ShadowEngine.this.hardwareRegs(vcpu);
    }

    @Override
    public FaultResolution pageFault(int vcpu, @Gva long va, int errorCode, GuestOp faultingOp) {
      return ShadowEngine.this.pageFault(vcpu, va, errorCode, faultingOp);
    }

    @Override
    public void writeGuestMachine(@Maddr long maddr, int size, long value, boolean dataWrite) {
      if (dirtyLog.isOn() && !seeded(dataWrite ? SeededBug.EMULATED_WRITE_NOT_LOGGED : SeededBug.WALK_AD_NOT_LOGGED)) {
        @Mfn long first = Addr.mfnOf(maddr);
        @Mfn long last = Addr.mfnOf(Addr.maddr(maddr + size - 1));
        logWrite(first);
        if (last != first) {
          logWrite(last);
        }
      }
      ShadowEngine.this.writeGuestMachine(maddr, size, value, dataWrite);
    }

    @Override
    public String toString() {
      return ShadowEngine.this.toString();
    }
  }

  /** Installs (or with null, removes) the listener told about every fault resolution. */
  public void setResolutionListener(@Nullable ResolutionListener listener) {
    resolutionListener = listener;
  }

  /** Installs (or with null, removes) what runs in the handler windows this engine opens. */
  public void setRaceWindow(@Nullable RaceWindow window) {
    raceWindow = window;
  }

  /** Installs the listener told of what the engine does inside ({@link ShadowEvents#NONE}: none). */
  public void setEvents(ShadowEvents listener) {
    events = listener;
  }

  // ---------------------------------------------------------------------------------------------
  // Operations

  @Override
  public OpResult apply(GuestOp op) {
    beginOperation(op.vcpu());
    if (op instanceof GuestOp.MemoryAccess access) {
      return hardware.access(access);
    }
    if (op instanceof GuestOp.Execute execute) {
      return hardware.execute(execute);
    }
    if (op instanceof GuestOp.Raced raced) {
      return raced(raced);
    }
    return control(guest.vcpu(op.vcpu()), op);
  }

  /**
   * Another vCPU's store raced into the access's handler: if the access faults and this engine
   * walks before taking the lock, the store lands in that window (the handler must see that its
   * walk no longer holds); otherwise it lands first, as on native.
   */
  private OpResult raced(GuestOp.Raced raced) {
    GuestOp.MemoryAccess access = raced.access();
    if (!opensRaceWindows()
        || hardware.allows(access.vcpu(), access.va(), Access.of(access.kind(), access.user()))) {
      OpResult store = apply(raced.store());
      beginOperation(access.vcpu());
      return GuestOp.Raced.result(store, hardware.access(access));
    }
    RaceWindow outer = raceWindow;
    Landing landing = new Landing(raced);
    raceWindow = landing;
    OpResult result;
    try {
      result = hardware.access(access);
    } finally {
      raceWindow = outer;
    }
    OpResult store = landing.result;
    if (store == null) {
      throw new IllegalStateException(access + " faulted without opening the window " + raced.store() + " races into");
    }
    return GuestOp.Raced.result(store, result);
  }

  /** A {@link GuestOp.Raced}'s store, waiting for the first window its access opens. */
  private final class Landing implements RaceWindow {
    private final GuestOp.Raced raced;
    private @Nullable OpResult result;

    Landing(GuestOp.Raced raced) {
      this.raced = raced;
    }

    @Override
    public void open(int vcpu) {
      if (result == null && vcpu == raced.access().vcpu()) {
        result = raceIn(raced.store());
      }
    }
  }

  /**
   * Performs {@code store}, another vCPU's whole operation, inside an open handler window: it may
   * fault and be handled itself (the lock is free), but does not start a new operation for the
   * handler log, which still belongs to the operation whose window it is.
   */
  private OpResult raceIn(GuestOp.MemoryAccess store) {
    unshadowedThisOp[store.vcpu()] = -1;
    operationBegins();
    return hardware.access(store);
  }

  /** Whether this engine walks the guest's tables before taking the shadow lock (opening a window). */
  protected boolean opensRaceWindows() {
    return false;
  }

  /** Runs whatever races into the window vCPU {@code vcpu} has open now (its walk done, the lock not taken). */
  protected final void openRaceWindow(int vcpu) {
    RaceWindow window = raceWindow;
    if (window != null) {
      window.open(vcpu);
    }
  }

  /**
   * A CR3 load, a control-register write, an INVLPG, a flush or a P2M change, on {@code vcpu}. A new CR3 or new
   * modes install the matching top-level shadow; every guest table write is revalidated as it
   * happens, so INVLPG and flushes have nothing to do but what an engine's techniques need.
   */
  @Preserves({
    InvariantIds.NO_AMPLIFY,
    InvariantIds.ISOLATION,
    InvariantIds.WRITE_PROTECT,
    InvariantIds.COHERENT,
    InvariantIds.SHADOW_STRUCTURE
  })
  private OpResult control(Vcpu vcpu, GuestOp op) {
    if (op instanceof GuestOp.LoadCr3 load) {
      beforeCr3Load();
      GuestControl.loadCr3(vcpu, load);
      installTop(vcpu);
      return OpResult.DONE;
    }
    if (op instanceof GuestOp.SetControl set) {
      beforeControlChange();
      String refusal = GuestControl.apply(vcpu, set);
      if (refusal != null) {
        return OpResult.invalid(refusal);
      }
      installTop(vcpu);
      return OpResult.DONE;
    }
    if (op instanceof GuestOp.Invlpg invlpg) {
      invlpg(vcpu, invlpg.va());
      return OpResult.DONE;
    }
    if (op instanceof GuestOp.SetP2m change) {
      return changeP2m(change);
    }
    if (op instanceof GuestOp.LogDirty log) {
      logDirty(log.action());
      return OpResult.DONE;
    }
    flush();
    return OpResult.DONE;
  }

  /**
   * The hypervisor changes a P2M entry under the running guest ({@code p2m_set_entry} and the
   * shadow code's hook on it, Xen's {@code sh_unshadow_for_p2m_change}): the change itself is
   * {@link HypervisorP2m}'s, the same as native's; then everything that followed the old entry
   * follows the new one before any vCPU runs again (INV-P2M-COHERENT): the shadows of the guest
   * table in the frame (its new frame's contents may differ), the leaves that mapped the frame,
   * and the write protection of a page table's new machine frame.
   */
  @Preserves({
    InvariantIds.NO_AMPLIFY,
    InvariantIds.ISOLATION,
    InvariantIds.WRITE_PROTECT,
    InvariantIds.COHERENT,
    InvariantIds.SHADOW_STRUCTURE,
    InvariantIds.P2M_COHERENT
  })
  private OpResult changeP2m(GuestOp.SetP2m change) {
    String refusal = HypervisorP2m.refusal(guest, change);
    if (refusal != null) {
      return OpResult.invalid(refusal);
    }
    @Gfn long gfn = change.gfn();
    P2mType oldType = guest.p2m().type(gfn);
    @Mfn long oldMfn = guest.p2m().mfn(gfn);
    beforeP2mChange(gfn);
    HypervisorP2m.apply(guest, change);
    if (dirtyLog.isOn()) {
      // The frame's contents may be other ones now, and a copy wrote the new machine frame.
      dirtyLog.mark(gfn);
      if (guest.p2m().type(gfn).isRam()) {
        logWrite(guest.p2m().mfn(gfn));
      }
    }
    for (Shadow shadow : shadowsOfMovedFrame(gfn, oldType, oldMfn)) {
      if (state.holds(shadow)) {
        revalidateWholeTable(shadow);
      }
    }
    remapLeaves(gfn, oldType, oldMfn);
    @Mfn long newMfn = guest.p2m().mfn(gfn);
    if (guest.p2m().type(gfn).isRam() && newMfn != oldMfn && isShadowedPageTable(newMfn)) {
      revalidateMappingsOf(newMfn); // a frame another guest frame shares has become a page table
    }
    return OpResult.DONE;
  }

  /** The P2M entry of {@code gfn} is about to change (the old one still holds). */
  protected void beforeP2mChange(@Gfn long gfn) {}

  /**
   * The shadows of the guest table in {@code gfn}, whose P2M entry just changed from {@code
   * oldType} at {@code oldMfn}; an engine that files shadows by machine frame files them anew.
   */
  protected List<Shadow> shadowsOfMovedFrame(@Gfn long gfn, P2mType oldType, @Mfn long oldMfn) {
    return shadowsOfGuestFrameByScan(gfn);
  }

  /**
   * Derives again every shadow leaf that mapped guest frame {@code gfn} before its P2M entry
   * changed from {@code oldType} at {@code oldMfn} (Xen's {@code sh_remove_all_mappings}): those
   * that map the old machine frame, found here by searching every l1 shadow.
   */
  protected void remapLeaves(@Gfn long gfn, P2mType oldType, @Mfn long oldMfn) {
    if (oldType.isRam()) {
      revalidateMappingsByScan(oldMfn);
    }
  }

  /**
   * Log-dirty mode ({@code paging_log_dirty_enable}, {@code ..._op} clean): switching it on, and
   * every clean, starts a round in which no frame is dirty, so every shadow leaf loses write access
   * to guest RAM; as Xen does, by dropping every shadow below the tops (faults rebuild them, write
   * protected until a write fault marks the frame). Switching it off drops them too, so leaves may
   * be writable again.
   */
  @Preserves({InvariantIds.LOG_DIRTY, InvariantIds.COHERENT})
  private void logDirty(GuestOp.LogDirty.Action action) {
    beforeControlChange(); // out-of-sync tables come back first, as at a control change
    switch (action) {
      case ON:
        dirtyLog.enable(guest);
        break;
      case CLEAN:
        if (!dirtyLog.isOn()) {
          return; // nothing is logged, so there is no round to end
        }
        dirtyLog.clean(guest);
        if (seeded(SeededBug.CLEAN_KEEPS_WRITE_ACCESS)) {
          return;
        }
        break;
      default:
        dirtyLog.disable();
        break;
    }
    dropShadowsBelowTops(0);
  }

  /**
   * The engine is about to let a write reach machine frame {@code mfn} (a write fault it resolves,
   * an emulated store, an A/D update of the guest walk): every guest frame it backs is dirty, and
   * a frame newly dirty has its leaves made writable (they were protected only for the log).
   */
  @Preserves(InvariantIds.LOG_DIRTY)
  private void logWrite(@Mfn long mfn) {
    dirtyLog.markFramesOf(guest.p2m(), mfn, (gfn, frame) -> revalidateMappingsOf(frame));
  }

  /** The dirty log, for tests and the CLI (read-only use). */
  public final DirtyLog dirtyLog() {
    return dirtyLog;
  }

  /** The guest is about to load CR3. */
  protected void beforeCr3Load() {}

  /** The guest is about to write a control register. */
  protected void beforeControlChange() {}

  /** The guest invalidated the translation of {@code va}. */
  protected void invlpg(Vcpu vcpu, @Gva long va) {}

  /** The guest flushed its TLB. */
  protected void flush() {}

  /**
   * A new operation of {@code vcpu} begins: the handler log and the per-operation memory of
   * unshadowing start empty. {@link #apply} and {@link #perform} call it; a model that drives the
   * hardware step and the handler itself calls it when it starts an operation.
   */
  public void beginOperation(int vcpu) {
    handlerLog.clear();
    unshadowedThisOp[vcpu] = -1;
    operationBegins();
  }

  /** An operation begins (before any of its work): what an engine deferred to this point is done. */
  protected void operationBegins() {}

  /** {@link #apply} without the result record: an access the hardware completes allocates nothing. */
  @Override
  public long perform(GuestOp op) {
    if (op instanceof GuestOp.MemoryAccess access) {
      beginOperation(op.vcpu());
      return hardware.perform(access);
    }
    return apply(op).digest();
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
  public final FaultResolution pageFault(
      int vcpu, @Gva long va, int errorCode, GuestOp faultingOp, boolean duringEventInjection) {
    // 1. A fault taken while this vCPU holds the shadow lock was raised by the engine itself:
    //    never handle it as a shadow fault.
    if (lockOwner() == vcpu) {
      return FaultResolution.NOT_SHADOW_FAULT;
    }
    Fault fault = newFault(guest.vcpu(vcpu), va, errorCode, hardwareRegs(vcpu), faultingOp, duringEventInjection);
    beforeLock(fault);
    acquireLock(vcpu);
    try {
      FaultResolution resolution = handle(fault);
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

  /**
   * What the engine does for {@code fault} before it takes the shadow lock (an engine that walks
   * the guest's tables there opens a window for other vCPUs: {@link #openRaceWindow}).
   */
  protected void beforeLock(Fault fault) {}

  /** The fault just raised ({@link Fault}'s constructor; an engine may refill one it keeps). */
  protected Fault newFault(Vcpu vcpu, @Gva long va, int errorCode, ControlRegisters hardwareRegs, GuestOp op,
      boolean duringEventInjection) {
    return new Fault(vcpu, va, errorCode, hardwareRegs, op, duringEventInjection);
  }

  /**
   * Steps 2 to 8 of the seed's {@code sh_page_fault}, under the shadow lock (step 1 is {@link
   * #pageFault}'s). The optimized engine's techniques act at the named points in between.
   */
  @Preserves({
    InvariantIds.NO_AMPLIFY,
    InvariantIds.ISOLATION,
    InvariantIds.WRITE_PROTECT,
    InvariantIds.COHERENT,
    InvariantIds.SHADOW_STRUCTURE
  })
  private FaultResolution handle(Fault fault) {
    FaultResolution early = beforeGuestWalk(fault);
    if (early != null) {
      return early;
    }
    long dropsBefore = shadowDrops();
    preallocate(CHAIN_FRAMES);
    // An instruction may need shadows for several pages. If making room for this fault's chain
    // dropped the shadows an earlier fault of the same instruction built, retrying it could fault
    // on those again, and so on forever in a small pool: the instruction is emulated instead.
    boolean droppedEarlierChains = shadowDrops() != dropsBefore && handlerLog.size() > 0
        && fault.op() instanceof GuestOp.Execute && !fault.duringEventInjection();
    // 2. Walk the guest's tables as the CPU would, setting their A and D bits.
    MutableOutcome target = walkGuest(fault);
    afterGuestWalk(fault);
    // 3. A fault of the guest's own making goes to the guest with the native error code.
    if (target.kind() == AccessOutcome.Kind.GUEST_FAULT) {
      return FaultResolution.ending(OpResult.of(target.freeze(), 0), false);
    }
    // 4. MMIO, writes to read-only RAM and frames with nothing behind them leave to the device model.
    if (!target.isOk()) {
      deviceAccess(fault);
      return FaultResolution.ending(OpResult.of(target.freeze(), 0), false);
    }
    @Mfn long targetMfn = Addr.mfnOf(Addr.maddr(target.address()));
    if (fault.access().isWrite() && dirtyLog.isOn()) {
      logWrite(targetMfn); // the write goes through from here on: the frame is dirty first
    }
    // 5. Build the missing shadow levels and propagate the guest l1e into the shadow l1e.
    buildShadows(fault);
    // 6. A write to a shadowed page table: emulate it (or let the table go out of sync), or, from
    //    user mode, take the hint that it is no page table any more.
    if (fault.access().isWrite() && isShadowedPageTable(targetMfn)) {
      if (!fault.access().user() && !fault.duringEventInjection()) {
        if (!unsyncInsteadOfEmulating(targetMfn)) {
          @Maddr long storeAt = Addr.maddr(target.address());
          FaultResolution emulated = emulateTableWrite(fault);
          afterEmulatedTableWrite(fault, targetMfn, storeAt);
          return emulateFollowing(fault, emulated);
        }
      } else {
        FaultResolution emulated = unshadowOnUserWrite(fault, targetMfn);
        if (emulated != null) {
          return emulated;
        }
      }
    }
    // 7. Rights the shadows cannot express (a supervisor write to a read-only page with guest
    //    CR0.WP clear; a guest table whose A bit cannot be set) are served by emulation.
    if (!hardwareAllows(fault)) {
      return emulateAccess(fault);
    }
    // 8. Retry: the hardware walk now succeeds (unless the instruction's other pages lost theirs).
    return droppedEarlierChains ? emulateAccess(fault) : FaultResolution.FIXED;
  }

  /**
   * The guest walk ({@code guest_walk_tables}): the native walk on the guest's tables, its A/D
   * updates written through the engine so the shadows of those entries are revalidated; then the
   * P2M decides where the access lands.
   */
  private MutableOutcome walkGuest(Fault fault) {
    if (!walkBeforeLockHolds(fault)) {
      guestSide.walk(fault.vcpu(), fault.va(), fault.access(), fault.target());
    }
    return fault.target();
  }

  /**
   * Under the lock: whether the guest walk {@link #beforeLock} made for {@code fault} still holds,
   * its outcome in {@link Fault#target} and its A/D updates now written; false if there was none
   * or it went stale (the handler then walks again).
   */
  protected boolean walkBeforeLockHolds(Fault fault) {
    return false;
  }

  /** Before the guest walk: an answer that needs none (the fast path), or null. */
  protected @Nullable FaultResolution beforeGuestWalk(Fault fault) {
    return null;
  }

  /** The guest walk is done: {@link Fault#target} says where the access lands. */
  protected void afterGuestWalk(Fault fault) {}

  /** The access goes to the device model (MMIO, read-only RAM, no frame). */
  protected void deviceAccess(Fault fault) {}

  /** Step 5: {@link #shadowL1eFor} the faulting address. */
  protected void buildShadows(Fault fault) {
    shadowL1eFor(fault.vcpu(), fault.va());
  }

  /**
   * A supervisor store hit the shadowed table in {@code tableMfn}: whether the table was let out
   * of sync instead, so the store runs on the hardware without emulation.
   */
  protected boolean unsyncInsteadOfEmulating(@Mfn long tableMfn) {
    return false;
  }

  /** The supervisor store {@code fault} stopped, at {@code storeAt} in the page table in {@code tableMfn}, was emulated. */
  protected void afterEmulatedTableWrite(Fault fault, @Mfn long tableMfn, @Maddr long storeAt) {}

  /**
   * The handler emulated {@code fault}'s store to a page table, with answer {@code emulated}: an
   * engine may go on emulating the instructions after it (answering how many bytes of the block it
   * completed). The reference engine returns to the guest at once.
   */
  protected FaultResolution emulateFollowing(Fault fault, FaultResolution emulated) {
    return emulated;
  }

  /** The vCPU holding the shadow lock, or {@link #NO_OWNER}. */
  public final int lockOwner() {
    return state.lockOwner();
  }

  /** Takes the shadow lock for {@code vcpu}; models call it to stage a recursive fault. */
  public void acquireLock(int vcpu) {
    if (lockOwner() != NO_OWNER) {
      throw new IllegalStateException("vcpu" + vcpu + " takes the shadow lock held by vcpu" + lockOwner());
    }
    state.setLockOwner(vcpu);
  }

  /** Releases the shadow lock {@code vcpu} holds; models call it to end a staged recursive fault. */
  public void releaseLock(int vcpu) {
    if (lockOwner() != vcpu) {
      throw new IllegalStateException("vcpu" + vcpu + " releases a lock it does not hold");
    }
    state.setLockOwner(NO_OWNER);
  }

  /**
   * Step 6 for a user-mode store (or one during event delivery) to a shadowed page table: kernels
   * do not let user code write their tables, so the page is taken to be no table any more and
   * unshadowed, unless this operation already did so to it (then it is on the store's own
   * translation path). Returns the resolution when the store must be emulated, else null: the
   * shadows are rebuilt and the handler goes on.
   */
  private @Nullable FaultResolution unshadowOnUserWrite(Fault fault, @Mfn long tableMfn) {
    int vcpu = fault.vcpu().id();
    if (tableMfn == unshadowedThisOp[vcpu]) {
      return emulateAccess(fault);
    }
    unshadowedThisOp[vcpu] = tableMfn;
    events.unshadowing(fault.access().user()
        ? ShadowEvents.UnshadowCause.USER_WRITE : ShadowEvents.UnshadowCause.EVENT_DELIVERY);
    unshadow(tableMfn);
    shadowL1eFor(fault.vcpu(), fault.va());
    return null;
  }

  /**
   * A supervisor store to a shadowed page table: emulate the instruction, then the guest entries
   * it wrote have their shadows revalidated (done write by write). If the emulator cannot do it,
   * take that as a hint that the page is no longer a page table and unshadow it.
   */
  private FaultResolution emulateTableWrite(Fault fault) {
    if (!(fault.op() instanceof GuestOp.Execute execute)) {
      return emulateAccess(fault);
    }
    EmulationResult result = guestSide.runInstruction(emulator, fault.vcpu(), execute);
    if (result.kind() != EmulationResult.Kind.UNHANDLEABLE) {
      return GuestSide.instructionEnded(result);
    }
    events.unshadowing(ShadowEvents.UnshadowCause.UNHANDLEABLE_INSTRUCTION);
    unshadow(Addr.mfnOf(Addr.maddr(fault.target().address())));
    shadowL1eFor(fault.vcpu(), fault.va());
    if (hardwareAllows(fault)) {
      return FaultResolution.FIXED;
    }
    // Still protected (a vCPU's live top, or a table on its own translation path): let the CPU
    // perform this one instruction with the protection set aside, then revalidate.
    return GuestSide.instructionEnded(guestSide.runInstruction(cpu, fault.vcpu(), execute));
  }

  /**
   * Performs the faulting access for the guest: a plain access through the guest walk's
   * translation, an instruction through the hypervisor's emulator (or, if it gives up, through
   * the CPU itself with the shadows' protection set aside for that one instruction).
   */
  private FaultResolution emulateAccess(Fault fault) {
    return guestSide.emulateAccess(fault.vcpu(), fault.op(), fault.target().freeze(), emulator, cpu);
  }

  /** Whether the hardware walk of the shadows now lets the access through (A/D untouched). */
  protected boolean hardwareAllows(Fault fault) {
    return hardware.allows(fault.vcpu().id(), fault.va(), fault.access());
  }

  /**
   * Builds the chain of shadows the hardware walks for {@code va} ({@code
   * shadow_get_and_create_l1e}) and propagates the guest entries into it down to the l1e.
   */
  protected abstract void shadowL1eFor(Vcpu vcpu, @Gva long va);

  /** {@code sh_remove_shadows}: drops every shadow of the guest frame at {@code mfn}. */
  public abstract void unshadow(@Mfn long mfn);

  /**
   * Writes guest memory on the guest's behalf and revalidates every shadow entry derived from
   * the bytes written ({@code sh_validate_guest_entry}); {@code dataWrite} is false for the A/D
   * updates of the guest walk.
   */
  protected abstract void writeGuestMachine(@Maddr long maddr, int size, long value, boolean dataWrite);

  // ---------------------------------------------------------------------------------------------
  // Copies and inspection

  @Override
  public GuestMachine guest() {
    return guest;
  }

  @Override
  public String toString() {
    return name() + " engine: " + state;
  }

  /**
   * Copies what the engine keeps besides its guest and its shadow store (the per-operation memory,
   * the dirty log) into {@code copy}, an engine made from this one's state.
   */
  protected final <E extends ShadowEngine<?>> E withEngineStateOf(E copy) {
    ShadowEngine<?> target = copy;
    System.arraycopy(unshadowedThisOp, 0, target.unshadowedThisOp, 0, unshadowedThisOp.length);
    dirtyLog.copyInto(target.dirtyLog);
    return copy;
  }

  /** Forgets the listeners: a copy made in place listens to nothing, as a new copy does. */
  protected final void stopListening() {
    resolutionListener = null;
    events = ShadowEvents.NONE;
  }

  @Override
  public HandlerLog handlerLog() {
    return handlerLog;
  }

  // ---------------------------------------------------------------------------------------------
  // ShadowView: the read-only inspection the invariant predicates use

  @Override
  public List<ShadowTable> shadowTables() {
    ShadowStore store = state;
    List<ShadowTable> tables = new ArrayList<>();
    for (Shadow shadow : store.shadows()) {
      tables.add(shadow.describe(store.isPinned(shadow), store.previousRootReferences(shadow)));
    }
    return tables;
  }

  @Override
  public @Nullable ShadowTable tableAt(long mfn) {
    Shadow shadow = state.owner(Addr.mfn(mfn));
    return shadow == null ? null : shadow.describe(state.isPinned(shadow), state.previousRootReferences(shadow));
  }

  @Override
  public @Nullable ShadowTable rootOf(int vcpu) {
    Shadow shadow = state.rootShadow(vcpu);
    return shadow == null ? null : shadow.describe(state.isPinned(shadow), state.previousRootReferences(shadow));
  }

  @Override
  public boolean isShadowedFrame(long mfn) {
    return isShadowedPageTable(Addr.mfn(mfn));
  }

  @Override
  public boolean logDirtyProtects(long gfn) {
    return dirtyLog.protects(Addr.gfn(gfn));
  }

  @Override
  public boolean loggedDirty(long gfn) {
    return dirtyLog.isDirty(Addr.gfn(gfn));
  }

  @Override
  public @Nullable GuestMachine logDirtyBaseline() {
    return dirtyLog.atLastClean();
  }

  @Override
  public long derivedEntry(ShadowTable table, int part, int index) {
    return derive(shadowOf(table), part, index);
  }

  /** The shadow {@code table} describes. */
  protected final Shadow shadowOf(ShadowTable table) {
    Shadow shadow = state.owner(Addr.mfn(table.mfn(0)));
    if (shadow == null) {
      throw new IllegalArgumentException("no shadow at " + table);
    }
    return shadow;
  }
}
