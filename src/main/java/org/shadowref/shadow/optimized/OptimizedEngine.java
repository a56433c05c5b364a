package org.shadowref.shadow.optimized;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.arch.Access;
import org.shadowref.arch.Addr;
import org.shadowref.arch.ControlRegisters;
import org.shadowref.arch.CpuModel;
import org.shadowref.arch.EntryBits;
import org.shadowref.arch.PagingMode;
import org.shadowref.arch.PfErrorCode;
import org.shadowref.arch.qual.Gfn;
import org.shadowref.arch.qual.Gpa;
import org.shadowref.arch.qual.Gva;
import org.shadowref.arch.qual.Maddr;
import org.shadowref.arch.qual.Mfn;
import org.shadowref.emulate.EmulationResult;
import org.shadowref.emulate.InstructionExecutor;
import org.shadowref.memory.P2m;
import org.shadowref.memory.P2mType;
import org.shadowref.mmu.AccessOutcome;
import org.shadowref.mmu.FaultKind;
import org.shadowref.mmu.MutableOutcome;
import org.shadowref.mmu.NativeMmu;
import org.shadowref.mmu.WalkResult;
import org.shadowref.mmu.Walker;
import org.shadowref.shadow.GuestControl;
import org.shadowref.shadow.GuestMachine;
import org.shadowref.shadow.GuestOp;
import org.shadowref.shadow.OpResult;
import org.shadowref.shadow.Platform;
import org.shadowref.shadow.ShadowEvents;
import org.shadowref.shadow.Vcpu;
import org.shadowref.shadow.core.Derivation;
import org.shadowref.shadow.core.FaultResolution;
import org.shadowref.shadow.core.GuestSide;
import org.shadowref.shadow.core.HardwareStep;
import org.shadowref.shadow.core.SeededBug;
import org.shadowref.shadow.core.ShadowHardware;
import org.shadowref.shadow.core.ShadowKey;
import org.shadowref.shadow.core.ShadowMode;
import org.shadowref.shadow.core.ShadowType;
import org.shadowref.shadow.entry.MagicEntries;
import org.shadowref.shadow.entry.Propagation;
import org.shadowref.shadow.entry.ShadowFormat;
import org.shadowref.shadow.invariant.HandlerLog;
import org.shadowref.shadow.invariant.InvariantIds;
import org.shadowref.shadow.invariant.Preserves;
import org.shadowref.shadow.invariant.ShadowTable;
import org.shadowref.shadow.invariant.ShadowView;

/**
 * The optimized shadow engine: the reference engine's fault handler and derivation, observably
 * equal to it and to native paging, on production data structures. Shadows live in a {@link
 * ShadowPool}: found through a primitive hash index keyed by (type, guest frame, slot, flavour),
 * placed on frames from a free list, and checked for liveness by slot identity instead of a
 * second lookup. See proofs/optimized-engine.md for what is built and why it is safe.
 *
 * <p>The "hardware" is {@link Walker} on the shadow tables in machine memory, with the shadow root
 * as CR3 and CR0.WP forced on. A hardware #PF enters {@link #pageFault}. Machine frames from the
 * guest's frame limit up hold the shadows.
 */
public final class OptimizedEngine implements Platform, ShadowView {
  /** Handler runs one operation may need before it completes; more is an engine bug. */
  public static final int MAX_FAULTS_PER_OP = ShadowHardware.MAX_FAULTS_PER_OP;
  /** Frames a fault may need for new shadows: a 2-on-3 l2 (4) and l1 (2), or three 64-bit levels. */
  private static final int CHAIN_FRAMES = 8;
  /**
   * The hardware's CPU model: MAXPHYADDR 48 covers every machine frame and keeps bits 51:48
   * reserved, so magic entries fault with RSVD ({@link MagicEntries#usable}).
   */
  private static final CpuModel HOST_CPU = new CpuModel(MagicEntries.HOST_MAXPHYADDR_LIMIT);

  private final GuestMachine guest;
  private final ShadowPool state;
  private final OptimizedConfig config;
  private final InstructionExecutor cpu;
  private final InstructionExecutor emulator;
  /** The MMU and CPU the guest runs on, walking these shadows; a #PF enters {@link #pageFault}. */
  private final ShadowHardware hardware;
  /** The guest's own walk and the emulation of faulting accesses on its translation. */
  private final GuestSide guestSide;
  private final Derivation derivation;
  /** Scratch for the fast path's walk of the shadows (the engine runs one fault at a time). */
  private final WalkResult fastWalk = new WalkResult();
  private final Counters counters = new Counters();
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
  /** Scratch for the handler's guest walk: where the faulting access lands. */
  private final MutableOutcome guestTarget = new MutableOutcome();
  /** Scratch for a resync: the out-of-sync table's words as the guest holds them now. */
  private final long[] resyncWords = new long[(int) (Addr.PAGE_SIZE / 8)];
  /** Whether a derivation is for prefetch (only the seeded bugs care). */
  private boolean prefetching;
  /** Told of prefetches, resyncs and pool reclaims (coverage); not part of the state. */
  private ShadowEvents events = ShadowEvents.NONE;
  /**
   * The last hardware registers made per vCPU, with the guest registers and root key they were
   * made from: {@link #hardwareRegs} is on every walk's path and allocates only when they change.
   * The key object identifies the top: the pool replaces it only when a CR3 load installs a
   * different top, and a top is never destroyed while a vCPU runs on it (the vCPU holds a
   * reference).
   */
  private final @Nullable ControlRegisters[] hardwareCache;
  private final @Nullable ControlRegisters[] hardwareCacheGuest;
  private final @Nullable ShadowKey[] hardwareCacheRoot;

  /**
   * What the techniques did, for tests and benchmarks. Plain counters: not engine state (copies
   * start from zero, the fingerprint leaves them out).
   */
  public static final class Counters {
    long handlerRuns;
    long fastNotPresent;
    long fastMmio;
    long falseAlarms;
    long prefetched;
    long poolReclaims;
    long unpinned;

    /** Page-fault handler runs, fast path included. */
    public long handlerRuns() {
      return handlerRuns;
    }

    /** Not-present faults the fast path sent to the guest. */
    public long fastNotPresent() {
      return fastNotPresent;
    }

    /** MMIO accesses the fast path sent to the device model. */
    public long fastMmio() {
      return fastMmio;
    }

    /** Reserved-bit faults whose magic entry was gone: retried. */
    public long falseAlarms() {
      return falseAlarms;
    }

    /** Shadow l1 entries filled by prefetch with something present (a mapping or a marker). */
    public long prefetched() {
      return prefetched;
    }

    /** Times the pool ran short and tore down the shadows below the tops. */
    public long poolReclaims() {
      return poolReclaims;
    }

    /** Pinned tops let go to make room in the pool. */
    public long unpinned() {
      return unpinned;
    }
  }

  /**
   * @param guest the guest to run; machine frames from its guest frame limit up become shadows
   * @param cpu the executor playing the CPU for {@link GuestOp.Execute} (the independent one)
   * @param emulator the hypervisor's emulator, for stores to shadowed page tables
   */
  public OptimizedEngine(GuestMachine guest, OptimizedConfig config, InstructionExecutor cpu, InstructionExecutor emulator) {
    this(guest, newState(guest, config), config, cpu, emulator);
    for (int vcpu = 0; vcpu < guest.vcpuCount(); vcpu++) {
      installTop(guest.vcpu(vcpu));
    }
  }

  private OptimizedEngine(
      GuestMachine guest, ShadowPool state, OptimizedConfig config, InstructionExecutor cpu, InstructionExecutor emulator) {
    this.guest = guest;
    this.unshadowedThisOp = new long[guest.vcpuCount()];
    Arrays.fill(unshadowedThisOp, -1);
    this.state = state;
    this.config = config;
    this.cpu = cpu;
    this.emulator = emulator;
    this.derivation = new Derivation(guest);
    Hooks hooks = new Hooks();
    this.hardware = new ShadowHardware(guest, HOST_CPU, cpu, hooks);
    this.guestSide = new GuestSide(guest, hooks);
    this.hardwareCache = new ControlRegisters[guest.vcpuCount()];
    this.hardwareCacheGuest = new ControlRegisters[guest.vcpuCount()];
    this.hardwareCacheRoot = new ShadowKey[guest.vcpuCount()];
  }

  /** What the shared hardware and guest side call back into: the handler and the revalidating writes. */
  private final class Hooks implements ShadowHardware.Engine, GuestSide.Writes {
    @Override
    public ControlRegisters hardwareRegs(int vcpu) {
      return OptimizedEngine.this.hardwareRegs(vcpu);
    }

    @Override
    public FaultResolution pageFault(int vcpu, @Gva long va, int errorCode, GuestOp faultingOp) {
      return OptimizedEngine.this.pageFault(vcpu, va, errorCode, faultingOp);
    }

    @Override
    public void writeGuestMachine(@Maddr long maddr, int size, long value, boolean dataWrite) {
      OptimizedEngine.this.writeGuestMachine(maddr, size, value, dataWrite);
    }

    @Override
    public String toString() {
      return OptimizedEngine.this.toString();
    }
  }

  private static ShadowPool newState(GuestMachine guest, OptimizedConfig config) {
    int frames = guest.machine().frameCount() - guest.guestFrameLimit();
    if (config.poolFrames() > 0) {
      frames = Math.min(frames, config.poolFrames());
    }
    return new ShadowPool(guest.guestFrameLimit(), frames, guest.vcpuCount(), guest.machine().frameCount(),
        config.hashIndex(), config.bugs());
  }

  @Override
  public String name() {
    return "optimized";
  }

  /** Installs the listener told of prefetches, resyncs and pool reclaims ({@link ShadowEvents#NONE}: none). */
  public void setEvents(ShadowEvents listener) {
    events = listener;
  }

  public OptimizedConfig config() {
    return config;
  }

  /** The shadow index, frames, roots and lock, read-only to callers outside this package. */
  public ShadowPool state() {
    return state;
  }

  public Counters counters() {
    return counters;
  }

  // ---------------------------------------------------------------------------------------------
  // Operations

  @Override
  @Preserves({
    InvariantIds.NO_AMPLIFY,
    InvariantIds.ISOLATION,
    InvariantIds.WRITE_PROTECT,
    InvariantIds.COHERENT,
    InvariantIds.SHADOW_STRUCTURE,
    InvariantIds.MAGIC,
    InvariantIds.OUT_OF_SYNC
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
      if (!config.has(SeededBug.NO_RESYNC_ON_CR3)) {
        resyncAll();
      }
      GuestControl.loadCr3(vcpu, (GuestOp.LoadCr3) op);
      installTop(vcpu);
      return OpResult.DONE;
    }
    if (op instanceof GuestOp.SetControl) {
      resyncAll();
      String refusal = GuestControl.apply(vcpu, (GuestOp.SetControl) op);
      if (refusal != null) {
        return OpResult.invalid(refusal);
      }
      installTop(vcpu);
      return OpResult.DONE;
    }
    if (op instanceof GuestOp.Invlpg) {
      // INVLPG ends staleness for one page only, as on a CPU, whose TLB may keep every other
      // translation: refresh that page's l1e if it lies in an out-of-sync table, and let the
      // table stay out of sync (as Xen's sh_invlpg does), so the guest's next PTE stores still
      // need no emulation.
      if (!config.has(SeededBug.NO_RESYNC_ON_INVLPG)) {
        refreshOutOfSyncL1e(vcpu, ((GuestOp.Invlpg) op).va());
      }
      return OpResult.DONE;
    }
    // Flushes: the guest stops tolerating staleness, so out-of-sync l1s come back in sync; every
    // other guest table write was revalidated as it happened.
    resyncAll();
    return OpResult.DONE;
  }

  /**
   * Re-derives the shadow l1e the hardware would use for {@code va}, if the shadows reach one and
   * it lies in an l1 shadow of an out-of-sync table. Follows the present shadow entries only:
   * where the chain stops, the hardware has no translation to be stale, and a fault refreshes it.
   */
  private void refreshOutOfSyncL1e(Vcpu vcpu, @Gva long va) {
    if (state.outOfSyncCount() == 0) {
      return;
    }
    PooledShadow shadow = state.rootShadow(vcpu.id());
    if (shadow == null) {
      return;
    }
    PagingMode hostMode = shadow.type().mode().hostMode();
    long linear = hostMode.truncate(va);
    int part = 0;
    for (int level = hostMode.levels(); level >= 2; level--) {
      int index = hostMode.index(linear, level) + (level == hostMode.levels() ? shadow.type().topOffset(vcpu.regs()) : 0);
      long entry = readEntry(shadow, part, index);
      if (!isPresent(entry)) {
        return;
      }
      @Mfn long child = frameOf(shadow.type(), entry);
      shadow = state.owner(child);
      if (shadow == null) {
        throw new IllegalStateException("shadow entry " + Addr.hex(entry) + " points at no shadow");
      }
      part = partOf(shadow, child);
    }
    int index = hostMode.index(linear, 1);
    if (shadowsOutOfSyncTable(shadow)) {
      setEntry(shadow, part, index, deriveLeaf(shadow, part, index));
    }
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
    InvariantIds.SHADOW_STRUCTURE,
    InvariantIds.MAGIC,
    InvariantIds.OUT_OF_SYNC
  })
  public FaultResolution pageFault(
      int vcpu, @Gva long va, int errorCode, GuestOp faultingOp, boolean duringEventInjection) {
    // 1. A fault taken while this vCPU holds the shadow lock was raised by the engine itself:
    //    never handle it as a shadow fault.
    if (state.lockOwner() == vcpu) {
      return FaultResolution.NOT_SHADOW_FAULT;
    }
    acquireLock(vcpu);
    counters.handlerRuns++;
    try {
      Access access = ShadowHardware.faultingAccess(errorCode, hardwareRegs(vcpu), faultingOp);
      @Nullable FaultResolution resolution = null;
      if (config.magicEntries() && (errorCode & PfErrorCode.RSVD) != 0) {
        resolution = reservedBitFault(guest.vcpu(vcpu), va, errorCode, access);
      }
      if (resolution == null) {
        resolution = handle(guest.vcpu(vcpu), va, access, faultingOp, duringEventInjection);
      }
      handlerLog.add(va, errorCode, resolution.kind().name());
      return resolution;
    } finally {
      releaseLock(vcpu);
    }
  }

  /**
   * The reserved-bit fast path: a fault with RSVD set can only come from a magic l1 entry (no
   * propagated entry has a reserved bit: INV-NO-AMPLIFY and INV-MAGIC). A guest-not-present
   * marker means the guest's own l1e is not present, so the guest gets its not-present fault; an
   * MMIO marker names the guest frame, so the access exits to the device model, provided the
   * upper levels grant it (the marker is made only for l1es that grant everything and need no A/D
   * update). No guest walk. A marker that is gone (fixed since the hardware faulted) is a false
   * alarm: retry. Null: leave it to the full handler.
   */
  private @Nullable FaultResolution reservedBitFault(Vcpu vcpu, @Gva long va, int errorCode, Access access) {
    hardware.walk(vcpu.id(), va, access, false, fastWalk);
    if (fastWalk.fault() != FaultKind.RESERVED_BIT) {
      counters.falseAlarms++;
      return FaultResolution.FIXED; // a false alarm: the entry changed since the hardware's walk
    }
    long entry = fastWalk.entry(1);
    if (fastWalk.stopLevel() != 1 || !MagicEntries.isMagic(entry)) {
      return null;
    }
    if (state.outOfSyncCount() > 0 && inOutOfSyncTable(fastWalk.entryAddress(1))) {
      return null; // the guest may have changed the entry since: a TLB never caches not-present
    }
    if (MagicEntries.isGuestNotPresent(entry)) {
      int code = MagicEntries.guestNotPresentErrorCode(errorCode, vcpu.regs());
      if (config.has(SeededBug.GNP_KEEPS_PRESENT)) {
        code |= PfErrorCode.P;
      } else if (config.has(SeededBug.GNP_KEEPS_RSVD)) {
        code |= PfErrorCode.RSVD;
      } else if (config.has(SeededBug.GNP_KEEPS_FETCH)) {
        code |= errorCode & PfErrorCode.ID;
      }
      counters.fastNotPresent++;
      return FaultResolution.ending(OpResult.of(AccessOutcome.guestFault(code, va), 0), false);
    }
    if (!config.has(SeededBug.MMIO_IGNORES_RIGHTS)
        && !Walker.permitted(fastWalk.user(), fastWalk.writable(), fastWalk.noExecute(), access, vcpu.regs())) {
      return null; // the guest's own protection fault: the full handler finds its error code
    }
    long gfn = MagicEntries.mmioGfn(entry) + (config.has(SeededBug.MMIO_WRONG_GFN) ? 1 : 0);
    @Gpa long gpa = Addr.gpaOf(Addr.gfn(gfn), Addr.pageOffset(va));
    counters.fastMmio++;
    return FaultResolution.ending(OpResult.of(NativeMmu.physicalOutcome(guest.physical(), gpa, access), 0), false);
  }

  private FaultResolution handle(
      Vcpu vcpu, @Gva long va, Access access, GuestOp faultingOp, boolean duringEventInjection) {
    preallocate(CHAIN_FRAMES);
    // 2. Walk the guest's tables as the CPU would, setting their A and D bits. (Into the engine's
    //    scratch, valid until the next guest walk: the paths that emulate take a frozen copy.)
    MutableOutcome target = guestTarget;
    guestSide.walk(vcpu, va, access, target);
    if (state.outOfSyncCount() > 0 && !config.has(SeededBug.NO_REFRESH_ON_FAULT)) {
      // A fault invalidates the page's translation: an out-of-sync l1e for it must be fresh now.
      shadowL1eFor(vcpu, va);
    }
    // 3. A fault of the guest's own making goes to the guest with the native error code.
    if (target.kind() == AccessOutcome.Kind.GUEST_FAULT) {
      return FaultResolution.ending(OpResult.of(target.freeze(), 0), false);
    }
    // 4. MMIO, writes to read-only RAM and frames with nothing behind them leave to the device model.
    if (!target.isOk()) {
      if (config.magicEntries() && target.kind() == AccessOutcome.Kind.MMIO) {
        shadowL1eFor(vcpu, va); // as Xen does: the l1e becomes the MMIO marker the fast path serves
      }
      return FaultResolution.ending(OpResult.of(target.freeze(), 0), false);
    }
    @Mfn long targetMfn = Addr.mfnOf(Addr.maddr(target.address()));
    // 5. Build the missing shadow levels and propagate the guest l1e into the shadow l1e.
    shadowL1eFor(vcpu, va);
    // 6. A write to a shadowed page table: emulate it, or take the hint that it is no page table.
    if (access.isWrite() && isShadowedPageTable(targetMfn)) {
      if (access.user() || duringEventInjection) {
        if (targetMfn == unshadowedThisOp[vcpu.id()]) {
          return emulateAccess(vcpu, faultingOp, target.freeze());
        }
        unshadowedThisOp[vcpu.id()] = targetMfn;
        events.unshadowing(access.user() ? ShadowEvents.UnshadowCause.USER_WRITE : ShadowEvents.UnshadowCause.EVENT_DELIVERY);
        unshadow(targetMfn);
        shadowL1eFor(vcpu, va);
      } else if (!unsyncAfterWrite(targetMfn)) {
        return emulateTableWrite(vcpu, va, access, faultingOp, target.freeze());
      }
    }
    // 7. Rights the shadows cannot express (a supervisor write to a read-only page with guest
    //    CR0.WP clear; a guest table whose A bit cannot be set) are served by emulation.
    if (!hardwareAllows(vcpu.id(), va, access)) {
      return emulateAccess(vcpu, faultingOp, target.freeze());
    }
    // 8. Retry: the hardware walk now succeeds.
    return FaultResolution.FIXED;
  }

  /** Takes the shadow lock for {@code vcpu}; models call it to stage a recursive fault. */
  public void acquireLock(int vcpu) {
    if (state.lockOwner() != ShadowPool.NO_OWNER) {
      throw new IllegalStateException(
          "vcpu" + vcpu + " takes the shadow lock held by vcpu" + state.lockOwner());
    }
    state.setLockOwner(vcpu);
  }

  public void releaseLock(int vcpu) {
    if (state.lockOwner() != vcpu) {
      throw new IllegalStateException("vcpu" + vcpu + " releases a lock it does not hold");
    }
    state.setLockOwner(ShadowPool.NO_OWNER);
  }

  /**
   * Builds the chain of shadows the hardware walks for {@code va} ({@code
   * shadow_get_and_create_l1e}), creating missing levels below the top, and propagates the guest
   * entries into it down to the l1e. Stops early where a guest entry cannot be shadowed yet.
   */
  private void shadowL1eFor(Vcpu vcpu, @Gva long va) {
    PooledShadow shadow = state.rootShadow(vcpu.id());
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
        prefetch(shadow, part, index);
        return;
      }
      long entry = readEntry(shadow, part, index);
      if (isPresent(entry)) {
        // Follow it, as the hardware would: a present directory entry is the propagation of its
        // guest entry as it is now (INV-COHERENT; directories are never out of sync, and the
        // guest walk just revalidated every entry whose A bit it set), so there is nothing to
        // recompute on the way down.
        @Mfn long frame = frameOf(shadow.type(), entry);
        shadow = ownerOf(shadow.type(), entry);
        part = partOf(shadow, frame);
        continue;
      }
      if (!derivation.childOf(shadow.key(), part, index, child)) {
        return;
      }
      int childPart = child.part(); // read before anything below reuses the scratch
      PooledShadow next = state.find(child.type(), child.gfn(), child.slot(), child.flavour());
      if (next == null) {
        next = createShadow(child.key());
      }
      setEntry(shadow, part, index, derive(shadow, part, index));
      if (next.refs() == 0) {
        destroy(next); // the guest entry cannot be shadowed yet (its A bit could not be set)
        return;
      }
      shadow = next;
      part = childPart;
    }
  }

  /** {@code l1e_propagate_from_guest}: the shadow l1e becomes the propagation of the guest l1e. */
  private void propagateL1e(PooledShadow l1, int part, int index) {
    setEntry(l1, config.has(SeededBug.UPPER_HALF_L1E_IN_FIRST_FRAME) ? 0 : part, index, derive(l1, part, index));
  }

  /**
   * Prefetch ({@code sh_prefetch}): the next entries of the l1 shadow that are still empty become
   * the propagation of their guest entries, exactly what a demand fault on each would make. The
   * guest's A/D bits are not touched: a guest entry without A propagates to an empty entry. A
   * table's l1es all come from one guest frame, found once; the entries are read straight from
   * it.
   */
  private void prefetch(PooledShadow l1, int part, int index) {
    int bound = config.has(SeededBug.PREFETCH_PAST_LAST_ENTRY) ? l1.type().entriesPerFrame() : l1.type().entriesPerFrame() - 1;
    int last = Math.min(bound, index + config.prefetch());
    ShadowKey key = l1.key();
    ShadowType type = key.type();
    PagingMode guestMode = type.mode().guestMode();
    int guestBytes = guestMode.entryBytes();
    int shadowBytes = type.entryBytes();
    @Mfn long shadowFrame = l1.mfn(part);
    long guestTable = type.role() == ShadowType.Role.TABLE ? guest.physical().machineAddress(Addr.gpaOf(key.gfn(), 0)) : -1;
    boolean magic = magicFor(type);
    events.prefetching(index, last, type.entriesPerFrame(), guestTable < 0);
    for (int next = index + 1; next <= last && state.live(l1); next++) {
      @Maddr long address = Addr.maddrOf(shadowFrame, (long) next * shadowBytes);
      if (guest.machine().read(address, shadowBytes) != 0) {
        continue;
      }
      long value;
      prefetching = true;
      if (guestTable < 0) {
        value = deriveLeaf(l1, part, next); // a splinter, the 1:1 map, or a table with no RAM behind it
      } else {
        long guestEntry = guest.machine().read(
            Addr.maddr(guestTable + (long) type.guestIndex(part, next) * guestBytes), guestBytes);
        events.prefetched(guestEntry);
        if (config.has(SeededBug.PREFETCH_SETS_ACCESSED)) {
          guestEntry |= EntryBits.A;
        }
        value = leafValue(key, derivation.tableLeaf(key, guestEntry, leaf), magic);
      }
      prefetching = false;
      if (config.has(SeededBug.PREFETCH_OFF_BY_ONE) && next < last) {
        setEntry(l1, part, next + 1, value);
      } else if (value != 0) { // else the entry stays as it is: empty
        noteIfOutOfSync(l1, part, next);
        setLeaf(type, address, 0, value);
      }
      if (isPresent(value)) {
        counters.prefetched++;
      }
    }
  }

  /** Whether the hardware walk of the shadows now lets the access through (A/D untouched). */
  private boolean hardwareAllows(int vcpu, @Gva long va, Access access) {
    return hardware.allows(vcpu, va, access);
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
    events.unshadowing(ShadowEvents.UnshadowCause.UNHANDLEABLE_INSTRUCTION);
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
    guest.machine().write(maddr, size, value);
    if (dataWrite && config.has(SeededBug.SKIP_REVALIDATE)) {
      return;
    }
    revalidateGuestWrite(Addr.mfnOf(maddr), (int) Addr.pageOffset(maddr), size);
  }

  private void revalidateGuestWrite(@Mfn long mfn, int offset, int size) {
    if (!config.reverseMaps()) {
      for (PooledShadow shadow : state.shadows()) {
        if (state.live(shadow) && derivation.derivedFrom(shadow.key(), mfn)) {
          revalidateBytes(shadow, offset, size);
        }
      }
      return;
    }
    if (mfn < 0 || mfn >= guest.machine().frameCount() || state.shadowsOfFrame().isEmpty((int) mfn)) {
      return;
    }
    for (long slot : ShadowPool.snapshot(state.shadowsOfFrame(), (int) mfn)) {
      PooledShadow shadow = state.atSlot(slot);
      if (shadow != null) { // else destroyed by an earlier revalidation
        revalidateBytes(shadow, offset, size);
      }
    }
  }

  /** Recomputes the entries of {@code shadow} derived from guest bytes {@code offset..+size}. */
  private void revalidateBytes(PooledShadow shadow, int offset, int size) {
    int guestBytes = Derivation.guestEntryBytes(shadow.type());
    int firstGuest = config.has(SeededBug.STORE_INSIDE_ENTRY_NOT_REVALIDATED)
        ? (offset + guestBytes - 1) / guestBytes : offset / guestBytes;
    int lastGuest = (offset + size - 1) / guestBytes;
    for (int part = 0; part < shadow.parts(); part++) {
      int to = Derivation.derivedRunEnd(shadow.key(), part, firstGuest, lastGuest);
      for (int index = Derivation.derivedRunStart(shadow.key(), part, firstGuest, lastGuest);
          index < to && state.live(shadow); index++) {
        setEntry(shadow, part, index, derive(shadow, part, index));
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Unshadowing and write protection

  /** Whether {@code mfn} holds a guest page table with shadows ({@code sh_mfn_is_a_page_table}). */
  public boolean isShadowedPageTable(@Mfn long mfn) {
    return hasShadows(mfn) && !isOutOfSync(mfn);
  }

  /** Whether any shadow is derived from the guest table in {@code mfn}, in sync or not. */
  private boolean hasShadows(@Mfn long mfn) {
    if (config.reverseMaps()) {
      return mfn >= 0 && mfn < guest.machine().frameCount() && !state.shadowsOfFrame().isEmpty((int) mfn);
    }
    for (PooledShadow shadow : state.shadows()) {
      if (derivation.derivedFrom(shadow.key(), mfn)) {
        return true;
      }
    }
    return false;
  }

  // ---------------------------------------------------------------------------------------------
  // Out-of-sync l1 shadows

  /** Emulated stores to a guest l1 table before it is let out of sync. */
  private static final int OUT_OF_SYNC_AFTER_WRITES = 2;

  /** Whether the guest table in {@code mfn} is out of sync (its mappings writable, its shadows stale). */
  public boolean isOutOfSync(@Mfn long mfn) {
    return config.outOfSync() && state.outOfSyncSlot(mfn) >= 0;
  }

  /** Whether the shadow entry at {@code address} is in an l1 shadow of an out-of-sync table. */
  private boolean inOutOfSyncTable(long address) {
    PooledShadow shadow = state.owner(Addr.mfnOf(Addr.maddr(address)));
    return shadow != null && shadowsOutOfSyncTable(shadow);
  }

  /** Whether {@code shadow} is derived from a guest table that is out of sync. */
  private boolean shadowsOutOfSyncTable(PooledShadow shadow) {
    @Gfn long gfn = shadow.key().gfn();
    return shadow.type().shadowsGuestFrame() && guest.p2m().type(gfn).isRam() && isOutOfSync(guest.p2m().mfn(gfn));
  }

  /**
   * {@code sh_unsync}: counts an emulated store to the page table in {@code mfn} and, once the
   * guest has written it often enough and it is shadowed only as an l1 table, lets it go out of
   * sync: its mappings become writable, so the guest's next stores need no emulation. Returns
   * whether it did (the faulting store then runs on the hardware).
   */
  private boolean unsyncAfterWrite(@Mfn long mfn) {
    if (!config.outOfSync() || mfn < 0 || mfn >= guest.machine().frameCount()) {
      return false;
    }
    if (state.countTableWrite((int) mfn) < OUT_OF_SYNC_AFTER_WRITES
        || (!onlyL1Shadows(mfn) && !config.has(SeededBug.UNSYNC_ANY_LEVEL))) {
      return false;
    }
    int slot = state.freeOutOfSyncSlot();
    if (slot < 0) {
      slot = 0; // every slot taken: bring the first back in sync to make room
      events.resyncing(ShadowEvents.ResyncCause.SLOT_FULL);
      resync(slot);
    }
    state.setOutOfSync(slot, mfn);
    // Every shadow entry of the table derives from the words it holds now (it was in sync), so
    // a resync need re-derive only the words that change from here on, or whose shadow entries do.
    guest.machine().copyFrameWords(mfn, state.outOfSyncSnapshot(slot));
    state.clearRewritten(slot);
    revalidateMappingsOf(mfn); // its mappings may be writable now
    return true;
  }

  /** Whether every shadow of the guest table in {@code mfn} is an l1 table shadow (and one exists). */
  private boolean onlyL1Shadows(@Mfn long mfn) {
    boolean any = false;
    for (PooledShadow shadow : state.shadows()) {
      if (derivation.derivedFrom(shadow.key(), mfn)) {
        if (shadow.type().holdsPointers() || shadow.type().role() != ShadowType.Role.TABLE) {
          return false;
        }
        any = true;
      }
    }
    return any;
  }

  /** Brings every out-of-sync table back in sync ({@code sh_resync_all}). */
  private void resyncAll() {
    if (!config.outOfSync()) {
      return;
    }
    for (int slot = 0; slot < ShadowPool.OUT_OF_SYNC_SLOTS; slot++) {
      if (state.outOfSyncFrame(slot) >= 0) {
        resync(slot);
      }
    }
  }

  /**
   * {@code sh_resync}: write-protects the table in slot {@code slot} again and recomputes the
   * entries of its shadows that may be stale: those derived from a word the guest changed since
   * the snapshot, or whose shadow entry was written since (refreshed at an INVLPG or a fault,
   * prefetched: then from a word that may differ from the snapshot's). Every other entry still
   * holds what the snapshot's word, which is the guest's word now, derives to.
   */
  private void resync(int slot) {
    @Mfn long mfn = Addr.mfn(state.outOfSyncFrame(slot));
    state.setOutOfSync(slot, -1);
    state.resetTableWrites((int) mfn);
    revalidateMappingsOf(mfn);
    long[] snapshot = state.outOfSyncSnapshot(slot);
    guest.machine().copyFrameWords(mfn, resyncWords);
    events.resynced(snapshot, resyncWords);
    int runStart = -1; // stale words are revalidated a run at a time
    for (int word = 0; word <= resyncWords.length; word++) {
      boolean stale = word < resyncWords.length
          && (resyncWords[word] != snapshot[word] || state.rewritten(slot, word));
      if (stale && runStart < 0) {
        runStart = word;
      } else if (!stale && runStart >= 0) {
        revalidateGuestWrite(mfn, runStart * 8, (word - runStart) * 8);
        runStart = -1;
      }
    }
  }

  /** Brings the guest table {@code shadow} derives from back in sync, if it is out of sync. */
  private void resyncTableOf(PooledShadow shadow) {
    @Gfn long gfn = shadow.key().gfn();
    if (!shadow.type().shadowsGuestFrame() || !guest.p2m().type(gfn).isRam()) {
      return;
    }
    int slot = state.outOfSyncSlot(guest.p2m().mfn(gfn));
    if (slot >= 0) {
      resync(slot);
    }
  }

  /** Forgets that {@code mfn} is out of sync once no shadow is left to be stale. */
  private void dropOutOfSyncIfUnshadowed(@Mfn long mfn) {
    int slot = state.outOfSyncSlot(mfn);
    if (slot >= 0 && !hasShadows(mfn)) {
      state.setOutOfSync(slot, -1);
      state.resetTableWrites((int) mfn);
    }
  }

  /**
   * {@code sh_remove_shadows}: drops every shadow of the guest frame at {@code mfn} by clearing
   * the entries that point at it and unpinning it. A top-level shadow a vCPU runs on stays (its
   * CR3 needs it).
   */
  public void unshadow(@Mfn long mfn) {
    if (!config.reverseMaps()) {
      unshadowByScan(mfn);
      return;
    }
    if (mfn < 0 || mfn >= guest.machine().frameCount()) {
      return;
    }
    for (long slot : ShadowPool.snapshot(state.shadowsOfFrame(), (int) mfn)) {
      PooledShadow victim = state.atSlot(slot);
      if (victim == null) {
        continue;
      }
      unpin(victim);
      // Back pointers: exactly the directory entries that point at the victim.
      for (long address : ShadowPool.snapshot(state.parentEntries(), victim.id())) {
        if (!state.live(victim)) {
          break;
        }
        @Maddr long maddr = Addr.maddr(address);
        PooledShadow parent = state.owner(Addr.mfnOf(maddr));
        if (parent == null) {
          throw new IllegalStateException("back pointer " + Addr.hex(address) + " is in no shadow");
        }
        int part = partOf(parent, Addr.mfnOf(maddr));
        setEntry(parent, part, (int) Addr.pageOffset(maddr) / parent.type().entryBytes(), 0);
      }
    }
  }

  /** {@link #unshadow} without back pointers: every directory of every shadow is searched. */
  private void unshadowByScan(@Mfn long mfn) {
    for (PooledShadow victim : state.shadows()) {
      if (!state.live(victim) || !derivation.derivedFrom(victim.key(), mfn)) {
        continue;
      }
      unpin(victim);
      for (PooledShadow parent : state.shadows()) {
        if (!state.live(parent) || !parent.type().holdsPointers()) {
          continue;
        }
        clearPointersTo(parent, victim);
        if (!state.live(victim)) {
          break;
        }
      }
    }
  }

  private void clearPointersTo(PooledShadow parent, PooledShadow victim) {
    for (int part = 0; part < parent.parts(); part++) {
      for (int index = 0; index < parent.type().entriesPerFrame(); index++) {
        if (!state.live(parent) || !state.live(victim)) {
          return;
        }
        long entry = readEntry(parent, part, index);
        if (isPresent(entry)) {
          PooledShadow child = state.owner(frameOf(parent.type(), entry));
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
    if (!config.reverseMaps()) {
      revalidateMappingsByScan(mfn);
      return;
    }
    // Iterate over a copy (recomputing a leaf moves its record), kept in one buffer: recomputing
    // leaves changes no page table, so this never runs inside itself.
    if (revalidatingMappings) {
      throw new IllegalStateException("revalidateMappingsOf re-entered for " + Addr.hex(mfn));
    }
    revalidatingMappings = true;
    try {
      int count = state.leafMappings().count((int) mfn);
      leafSnapshot = state.leafMappings().entries((int) mfn, leafSnapshot);
      for (int i = 0; i < count; i++) {
        @Maddr long maddr = Addr.maddr(leafSnapshot[i]);
        PooledShadow shadow = state.owner(Addr.mfnOf(maddr));
        if (shadow == null) {
          throw new IllegalStateException("reverse map names " + Addr.hex(maddr) + ", which is in no shadow");
        }
        int part = partOf(shadow, Addr.mfnOf(maddr));
        int index = (int) Addr.pageOffset(maddr) / shadow.type().entryBytes();
        setEntry(shadow, part, index, deriveLeaf(shadow, part, index));
      }
    } finally {
      revalidatingMappings = false;
    }
  }

  /** {@link #revalidateMappingsOf} without the reverse map: every leaf of every l1 shadow is read. */
  private void revalidateMappingsByScan(@Mfn long mfn) {
    for (PooledShadow shadow : state.shadows()) {
      if (shadow.type().holdsPointers() || !state.live(shadow)) {
        continue;
      }
      for (int part = 0; part < shadow.parts(); part++) {
        for (int index = 0; index < shadow.type().entriesPerFrame(); index++) {
          long entry = readEntry(shadow, part, index);
          if (mapsMemory(shadow.type(), entry) && frameOf(shadow.type(), entry) == mfn && state.live(shadow)) {
            setEntry(shadow, part, index, derive(shadow, part, index));
          }
        }
      }
    }
  }

  private static int partOf(PooledShadow shadow, @Mfn long mfn) {
    if (shadow.parts() == 1 && shadow.mfn(0) == mfn) {
      return 0;
    }
    for (int part = 0; part < shadow.parts(); part++) {
      if (shadow.mfn(part) == mfn) {
        return part;
      }
    }
    throw new IllegalStateException(Addr.hex(mfn) + " is no frame of " + shadow);
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
    PooledShadow top = state.find(wanted);
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
    state.setRoot(vcpu.id(), top);
    if (config.pinTops()) {
      state.pin(top);
    }
    if (current != null) {
      PooledShadow old = state.find(current);
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
    ControlRegisters cached = hardwareCache[vcpu];
    if (cached != null && hardwareCacheGuest[vcpu] == regs && hardwareCacheRoot[vcpu] == rootKey) {
      return cached;
    }
    ControlRegisters made = makeHardwareRegs(regs, state.rootShadow(vcpu));
    hardwareCache[vcpu] = made;
    hardwareCacheGuest[vcpu] = regs;
    hardwareCacheRoot[vcpu] = rootKey;
    return made;
  }

  private ControlRegisters makeHardwareRegs(ControlRegisters regs, @Nullable PooledShadow root) {
    long cr3 = root == null ? 0 : Addr.maddrOf(root.mfn(0), 0) + ((long) root.type().topOffset(regs) << 3);
    return shadowModeFor(regs).hardwareRegs(regs, cr3);
  }

  // ---------------------------------------------------------------------------------------------
  // PooledShadow tables: creation, entries, reference counts, destruction

  /**
   * Makes sure {@code frames} shadow frames are free ({@code shadow_prealloc}): first by letting go
   * of pinned tops, least recently used first; if that is not enough, by dropping every shadow
   * below the tops ({@code shadow_blow_tables}) and letting faults rebuild them.
   */
  private void preallocate(int frames) {
    while (state.freeFrames() < frames) {
      PooledShadow top = state.leastRecentlyPinned();
      if (top == null) {
        break;
      }
      counters.unpinned++;
      events.poolReclaimed(frames, false);
      unpin(top);
    }
    if (state.freeFrames() >= frames) {
      return;
    }
    counters.poolReclaims++;
    events.poolReclaimed(frames, true);
    for (PooledShadow shadow : state.shadows()) {
      if (!state.live(shadow) || !isDroppable(shadow)) {
        continue;
      }
      for (int part = 0; part < shadow.parts(); part++) {
        for (int index = 0; index < shadow.type().entriesPerFrame(); index++) {
          if (state.live(shadow)) {
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
  private static boolean isDroppable(PooledShadow shadow) {
    ShadowType type = shadow.type();
    if (type == ShadowType.L3_32_PAE) {
      return false; // its entries are the l2 shadow's parts, which the top cannot do without
    }
    return type.isTop() || type == ShadowType.L2_32_PAE;
  }

  /** Drops {@code top}'s pin and with it the pin's reference ({@code sh_unpin}), if it has one. */
  private void unpin(PooledShadow top) {
    if (state.unpin(top) && top.dropRef()) {
      destroy(top);
    }
  }

  private PooledShadow createShadow(ShadowKey key) {
    if (config.outOfSync() && key.type().shadowsGuestFrame() && guest.p2m().type(key.gfn()).isRam()
        && (key.type().holdsPointers() || key.type().role() != ShadowType.Role.TABLE)) {
      // Only l1 tables may be out of sync: a table the guest now uses at a higher level comes back first.
      int slot = state.outOfSyncSlot(guest.p2m().mfn(key.gfn()));
      if (slot >= 0 && !config.has(SeededBug.UNSYNC_ANY_LEVEL)) {
        events.resyncing(ShadowEvents.ResyncCause.PROMOTED);
        resync(slot);
      }
    }
    boolean wasPageTable = key.type().shadowsGuestFrame() && guestFrameIsShadowed(key.gfn());
    PooledShadow shadow = state.insert(key);
    for (int part = 0; part < shadow.parts(); part++) {
      guest.machine().zeroFrame(shadow.mfn(part));
    }
    if (config.reverseMaps() && key.type().shadowsGuestFrame() && guest.p2m().type(key.gfn()).isRam()) {
      state.shadowsOfFrame().add((int) guest.p2m().mfn(key.gfn()), shadow.id());
    }
    if (key.type().shadowsGuestFrame() && !wasPageTable && guest.p2m().type(key.gfn()).isRam()
        && !config.has(SeededBug.NO_PROTECT_NEW_TABLE)) {
      // INV-WRITE-PROTECT: the frame just became a shadowed page table.
      revalidateMappingsOf(guest.p2m().mfn(key.gfn()));
    }
    return shadow;
  }

  private boolean guestFrameIsShadowed(@Gfn long gfn) {
    return guest.p2m().type(gfn).isRam() && isShadowedPageTable(guest.p2m().mfn(gfn));
  }

  private void destroy(PooledShadow shadow) {
    ShadowType type = shadow.type();
    if (type.holdsPointers() || config.reverseMaps()) {
      // Drop the references of its directory entries, or forget its leaves: only the entries
      // that are set need it (an absent shadow entry is 0), found by a scan of the frame's words.
      int perWord = 8 / type.entryBytes();
      for (int part = 0; part < shadow.parts(); part++) {
        @Mfn long frame = shadow.mfn(part);
        for (int word = guest.machine().nextNonZeroWord(frame, 0); word >= 0;
            word = guest.machine().nextNonZeroWord(frame, word + 1)) {
          for (int index = word * perWord; index < (word + 1) * perWord; index++) {
            if (type.holdsPointers()) {
              setEntry(shadow, part, index, 0);
            } else {
              forgetLeaf(type, readEntry(shadow, part, index), entryAddress(shadow, part, index));
            }
          }
        }
      }
    }
    if (config.reverseMaps() && shadow.type().shadowsGuestFrame() && guest.p2m().type(shadow.key().gfn()).isRam()) {
      state.shadowsOfFrame().remove((int) guest.p2m().mfn(shadow.key().gfn()), shadow.id());
    }
    state.remove(shadow);
    for (int part = 0; part < shadow.parts(); part++) {
      guest.machine().zeroFrame(shadow.mfn(part));
    }
    @Gfn long gfn = shadow.key().gfn();
    if (config.outOfSync() && shadow.type().shadowsGuestFrame() && guest.p2m().type(gfn).isRam()) {
      dropOutOfSyncIfUnshadowed(guest.p2m().mfn(gfn));
    }
    if (shadow.type().shadowsGuestFrame() && guest.p2m().type(gfn).isRam()
        && !guestFrameIsShadowed(gfn)) {
      // The frame stopped being a page table: its mappings may be writable again.
      revalidateMappingsOf(guest.p2m().mfn(gfn));
    }
  }

  /** Writes one shadow entry, moving references from the shadow it pointed at to the new one. */
  private void setEntry(PooledShadow shadow, int part, int index, long value) {
    long old = readEntry(shadow, part, index);
    if (old == value) {
      return;
    }
    ShadowType type = shadow.type();
    @Maddr long address = entryAddress(shadow, part, index);
    if (!type.holdsPointers()) {
      noteIfOutOfSync(shadow, part, index);
      setLeaf(type, address, old, value);
      return;
    }
    if (isPresent(value) && !isPresent(old) && state.outOfSyncCount() > 0) {
      // A new path to an out-of-sync l1: its entries may predate an INVLPG of a page this path
      // reaches, which a TLB could not show, so it comes back in sync first (as Xen's
      // shadow_set_l2e does).
      events.resyncing(ShadowEvents.ResyncCause.NEW_PATH);
      resyncTableOf(ownerOf(type, value));
    }
    if (isPresent(value)) {
      PooledShadow child = ownerOf(type, value);
      child.addRef();
      if (config.reverseMaps()) {
        state.parentEntries().add(child.id(), address);
      }
    }
    guest.machine().write(address, type.entryBytes(), value);
    if (isPresent(old)) {
      PooledShadow child = ownerOf(type, old);
      if (config.reverseMaps()) {
        state.parentEntries().remove(child.id(), address);
      }
      if (!config.has(SeededBug.LEAK_REFCOUNT) && child.dropRef()) {
        destroy(child);
      }
    }
  }

  /**
   * If {@code shadow} derives from an out-of-sync table, notes that its entry {@code index} of
   * frame {@code part} is being written (from the guest's word as it is now, which may differ
   * from the snapshot's), so the resync re-derives it.
   */
  private void noteIfOutOfSync(PooledShadow shadow, int part, int index) {
    int slot = outOfSyncSlotOf(shadow);
    if (slot >= 0 && !config.has(SeededBug.SNAPSHOT_MISSES_REWRITES)) {
      state.noteRewritten(slot, outOfSyncWord(shadow, part, index));
    }
  }

  /** The out-of-sync slot of the guest table the l1 table shadow {@code shadow} derives from, or -1. */
  private int outOfSyncSlotOf(PooledShadow shadow) {
    if (state.outOfSyncCount() == 0 || shadow.type().role() != ShadowType.Role.TABLE) {
      return -1;
    }
    @Gfn long gfn = shadow.key().gfn();
    return guest.p2m().type(gfn).isRam() ? state.outOfSyncSlot(guest.p2m().mfn(gfn)) : -1;
  }

  /** The word of its guest table that entry {@code index} of frame {@code part} of an l1 shadow derives from. */
  private static int outOfSyncWord(PooledShadow shadow, int part, int index) {
    return shadow.type().guestIndex(part, index) * Derivation.guestEntryBytes(shadow.type()) / 8;
  }

  /** Writes the leaf at {@code address} (now {@code old}) and moves its reverse-map record. */
  private void setLeaf(ShadowType type, @Maddr long address, long old, long value) {
    guest.machine().write(address, type.entryBytes(), value);
    if (config.reverseMaps()) {
      forgetLeaf(type, old, address);
      if (mapsMemory(type, value) && !config.has(SeededBug.RMAP_NOT_UPDATED)) {
        state.leafMappings().add((int) frameOf(type, value), address);
      }
    }
  }

  /** Drops the reverse-map record of the leaf {@code entry} at {@code address}, if it maps memory. */
  private void forgetLeaf(ShadowType type, long entry, @Maddr long address) {
    if (mapsMemory(type, entry)) {
      state.leafMappings().remove((int) frameOf(type, entry), address);
    }
  }

  /** Whether a leaf of {@code type} maps a machine frame: present, not magic, inside the machine. */
  private boolean mapsMemory(ShadowType type, long entry) {
    return isPresent(entry) && !(type.entryBytes() == 8 && MagicEntries.isMagic(entry))
        && frameOf(type, entry) < guest.machine().frameCount();
  }

  private PooledShadow ownerOf(ShadowType type, long entry) {
    PooledShadow owner = state.owner(frameOf(type, entry));
    if (owner == null) {
      throw new IllegalStateException("shadow entry " + Addr.hex(entry) + " points at no shadow");
    }
    return owner;
  }

  private long readEntry(PooledShadow shadow, int part, int index) {
    return guest.machine().read(entryAddress(shadow, part, index), shadow.type().entryBytes());
  }

  private static @Maddr long entryAddress(PooledShadow shadow, int part, int index) {
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

  /** Scratch for {@link #revalidateMappingsOf}: the leaves mapping a frame, copied before they change. */
  private long[] leafSnapshot = new long[16];
  private boolean revalidatingMappings;

  /** Scratch for {@link Derivation#childOf} and {@link Derivation#leafOf}: the fault path allocates none. */
  private final Derivation.Child child = new Derivation.Child();
  private final Derivation.Leaf leaf = new Derivation.Leaf();

  /**
   * The value entry {@code index} of frame {@code part} of {@code shadow} must have: the
   * propagation of the guest entry it shadows ({@code _sh_propagate}), or 0 when that entry
   * cannot be shadowed now (not present, reserved bits, A clear, child shadow not built yet).
   */
  public long derive(PooledShadow shadow, int part, int index) {
    if (!shadow.type().holdsPointers()) {
      return deriveLeaf(shadow, part, index);
    }
    if (!derivation.childOf(shadow.key(), part, index, child)) {
      return 0;
    }
    PooledShadow target = state.find(child.type(), child.gfn(), child.slot(), child.flavour());
    if (target == null) {
      return 0;
    }
    return Propagation.directory(
        child.guestEntry(), child.guestMode(), child.guestLevel(), target.mfn(child.part()),
        shadow.key().nxe(), shadow.type().mode().format());
  }

  private long deriveLeaf(PooledShadow shadow, int part, int index) {
    ShadowKey key = shadow.key();
    return leafValue(key, derivation.leafOf(key, part, index, leaf), magicFor(key.type()));
  }

  /** Whether leaves of {@code type} may be magic markers: a table's own l1es, in 64-bit entries. */
  private boolean magicFor(ShadowType type) {
    return config.magicEntries() && type.role() == ShadowType.Role.TABLE
        && type.mode().format() == ShadowFormat.LONG_64 && MagicEntries.usable(HOST_CPU);
  }

  /**
   * The leaf entry of a shadow with {@code key} whose derivation gave {@code source} (and, when
   * it is {@code MAPPED}, {@link #leaf}): a magic marker where {@code magic} allows one, the
   * propagation of the guest leaf, or 0.
   */
  private long leafValue(ShadowKey key, Derivation.Source source, boolean magic) {
    if (source != Derivation.Source.MAPPED) {
      boolean notPresent = source == Derivation.Source.GUEST_NOT_PRESENT || config.has(SeededBug.MAGIC_FOR_RESERVED);
      return magic && notPresent ? MagicEntries.GUEST_NOT_PRESENT : 0;
    }
    if (magic && isMmioMarkable(leaf.guestLeaf(), leaf.gfn(), key.nxe())) {
      return MagicEntries.encodeMmio(leaf.gfn());
    }
    return leafFor(leaf.guestLeaf(), leaf.gfn(), key.nxe(), key.type().mode().format());
  }

  /**
   * Whether the guest l1e may become an MMIO marker: it maps a device frame the marker can encode,
   * and it grants every access and has A and D set, so the fast path need not check its rights
   * or set its bits (the upper levels' rights are checked on the hardware's walk of the shadows).
   */
  private boolean isMmioMarkable(long guestL1e, @Gfn long gfn, boolean nxe) {
    P2mType type = guest.p2m().type(gfn);
    boolean device = type == P2mType.MMIO || (config.has(SeededBug.MMIO_MAGIC_FOR_RAM) && type == P2mType.RAM_RO);
    if (!device || Long.compareUnsigned(gfn, MagicEntries.GFN_LIMIT) >= 0) {
      return false;
    }
    long needed = EntryBits.P | EntryBits.RW | EntryBits.US | EntryBits.A | EntryBits.D;
    if (config.has(SeededBug.MMIO_MAGIC_IGNORES_DIRTY)) {
      needed = EntryBits.P | EntryBits.RW | EntryBits.US;
    }
    return (guestL1e & needed) == needed && !(nxe && (guestL1e & EntryBits.NX) != 0);
  }

  /** {@link Propagation#leaf} for a guest leaf mapping {@code gfn}, with the seeded bugs. */
  private long leafFor(long guestLeaf, @Gfn long gfn, boolean nxe, ShadowFormat format) {
    P2m p2m = guest.p2m();
    P2mType type = p2m.type(gfn);
    if (prefetching && type == P2mType.RAM_RO && config.has(SeededBug.PREFETCH_READ_ONLY_RAM_WRITABLE)) {
      type = P2mType.RAM;
    }
    @Mfn long mfn = p2m.mfn(gfn);
    boolean pageTable = type.isRam() && isShadowedPageTable(mfn) && !config.has(SeededBug.SKIP_WRITE_PROTECT)
        && !(prefetching && config.has(SeededBug.PREFETCH_WRITABLE_PAGE_TABLE));
    long leaf = Propagation.leaf(
        config.has(SeededBug.IGNORE_DIRTY) ? guestLeaf | EntryBits.D : guestLeaf,
        type, mfn, pageTable, config.has(SeededBug.DROP_NX) ? false : nxe, format);
    return leaf;
  }

  // ---------------------------------------------------------------------------------------------
  // Platform: copies and fingerprints

  @Override
  public GuestMachine guest() {
    return guest;
  }

  @Override
  public OptimizedEngine copy() {
    OptimizedEngine copy = new OptimizedEngine(guest.copy(), state.copy(), config, cpu, emulator);
    System.arraycopy(unshadowedThisOp, 0, copy.unshadowedThisOp, 0, unshadowedThisOp.length);
    return copy;
  }

  /** Guest memory, P2M and vCPUs; the shadow index, frames and contents; roots and the lock. */
  @Override
  public long fingerprint() {
    long h = guest.guestFingerprint() * 31 + state.hash();
    for (PooledShadow shadow : state.shadows()) {
      for (int part = 0; part < shadow.parts(); part++) {
        h = h * 0x100_0000_01B3L + guest.machine().frameHash(shadow.mfn(part));
      }
    }
    return h;
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
    for (PooledShadow shadow : state.shadows()) {
      tables.add(describe(shadow));
    }
    return tables;
  }

  @Override
  public @Nullable ShadowTable tableAt(long mfn) {
    PooledShadow shadow = state.owner(Addr.mfn(mfn));
    return shadow == null ? null : describe(shadow);
  }

  @Override
  public @Nullable ShadowTable rootOf(int vcpu) {
    PooledShadow shadow = state.rootShadow(vcpu);
    return shadow == null ? null : describe(shadow);
  }

  @Override
  public boolean isShadowedFrame(long mfn) {
    return isShadowedPageTable(Addr.mfn(mfn));
  }

  @Override
  public boolean isOutOfSync(ShadowTable table) {
    PooledShadow shadow = state.owner(Addr.mfn(table.mfns()[0]));
    return shadow != null && shadowsOutOfSyncTable(shadow);
  }

  @Override
  public boolean resyncSkips(ShadowTable table, int part, int index) {
    PooledShadow shadow = state.owner(Addr.mfn(table.mfns()[0]));
    int slot = shadow == null ? -1 : outOfSyncSlotOf(shadow);
    if (shadow == null || slot < 0) {
      return false;
    }
    int word = outOfSyncWord(shadow, part, index);
    long now = guest.machine().read(Addr.maddrOf(Addr.mfn(state.outOfSyncFrame(slot)), word * 8L), 8);
    return now == state.outOfSyncSnapshot(slot)[word] && !state.rewritten(slot, word);
  }

  @Override
  public HandlerLog handlerLog() {
    return handlerLog;
  }

  @Override
  public long derivedEntry(ShadowTable table, int part, int index) {
    PooledShadow shadow = state.owner(Addr.mfn(table.mfns()[0]));
    if (shadow == null) {
      throw new IllegalArgumentException("no shadow at " + table);
    }
    return derive(shadow, part, index);
  }

  private ShadowTable describe(PooledShadow shadow) {
    ShadowType type = shadow.type();
    return new ShadowTable(
        shadow.key().toString(), type.name(), shadow.key().gfn(), type.level(), type.shadowsGuestFrame(),
        shadow.mfnArray(), type.entryBytes(), shadow.refs(), state.isPinned(shadow), type.childTypeNames(),
        shadow.key().slot(), shadow.key().pse(), shadow.key().nxe());
  }

  @Override
  public String toString() {
    return "optimized engine: " + state;
  }
}
