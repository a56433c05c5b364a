package org.shadowref.shadow.optimized;

import java.util.List;
import java.util.function.Predicate;
import org.checkerframework.checker.initialization.qual.NotOnlyInitialized;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.arch.Addr;
import org.shadowref.arch.ControlRegisters;
import org.shadowref.arch.CpuModel;
import org.shadowref.arch.EntryBits;
import org.shadowref.arch.qual.Gfn;
import org.shadowref.arch.qual.Gva;
import org.shadowref.arch.qual.Maddr;
import org.shadowref.arch.qual.Mfn;
import org.shadowref.emulate.EmulationResult;
import org.shadowref.emulate.InstructionExecutor;
import org.shadowref.memory.P2m;
import org.shadowref.memory.P2mType;
import org.shadowref.mmu.AccessOutcome;
import org.shadowref.mmu.WalkResult;
import org.shadowref.mmu.Walker;
import org.shadowref.shadow.GuestMachine;
import org.shadowref.shadow.GuestOp;
import org.shadowref.shadow.ShadowEvents;
import org.shadowref.shadow.Vcpu;
import org.shadowref.shadow.WordFold;
import org.shadowref.shadow.core.Derivation;
import org.shadowref.shadow.core.Fault;
import org.shadowref.shadow.core.FaultResolution;
import org.shadowref.shadow.core.GuestSide;
import org.shadowref.shadow.core.SeededBug;
import org.shadowref.shadow.core.Shadow;
import org.shadowref.shadow.core.ShadowEngine;
import org.shadowref.shadow.core.ShadowId;
import org.shadowref.shadow.core.ShadowKey;
import org.shadowref.shadow.core.ShadowMode;
import org.shadowref.shadow.core.ShadowType;
import org.shadowref.shadow.entry.MagicEntries;
import org.shadowref.shadow.entry.Propagation;
import org.shadowref.shadow.entry.ShadowFormat;
import org.shadowref.shadow.invariant.InvariantIds;
import org.shadowref.shadow.invariant.Preserves;
import org.shadowref.shadow.invariant.ShadowTable;

/**
 * The optimized shadow engine: the reference engine's handler, step for step, with the techniques
 * a production hypervisor adds for speed, each in a class of its own and each switched by {@link
 * OptimizedConfig}: the reserved-bit fast path ({@link FastPath}), prefetch ({@link Prefetch}),
 * out-of-sync l1 tables ({@link OutOfSync}), reverse maps and back pointers ({@link ReverseMapping}),
 * pinned tops ({@link PinnedTops}), the bounded pool's eviction ({@link PoolReclaim}), early
 * unshadowing of tables the guest tears down ({@link EarlyUnshadow}) and of tables it floods with
 * writes ({@link WriteFlooding}), the tops of each vCPU's recent address spaces kept for a
 * switch back ({@link PreviousRoots}), and the giving up of idle tops whose frames the guest
 * reuses as data ({@link ReusedTops}). Shadows live in a {@link ShadowPool}: found through a
 * primitive hash index, placed on frames from a free list, and checked for liveness by slot
 * identity. Observably equal to the reference and to native paging (with out-of-sync tables: to
 * native with a TLB); see proofs/optimized-engine.md.
 *
 * <p>The "hardware" is {@link Walker} on the shadow tables in machine memory, with the shadow root
 * as CR3 and CR0.WP forced on. A hardware #PF enters {@link #pageFault}. Machine frames from the
 * guest's frame limit up hold the shadows.
 */
public final class OptimizedEngine extends ShadowEngine<ShadowPool> {
  /**
   * The hardware's CPU model: MAXPHYADDR 48 covers every machine frame and keeps bits 51:48
   * reserved, so magic entries fault with RSVD ({@link MagicEntries#usable}).
   */
  private static final CpuModel HOST_CPU = new CpuModel(MagicEntries.HOST_MAXPHYADDR_LIMIT);

  private final OptimizedConfig config;
  private final Counters counters = new Counters();
  private final FastPath fastPath;
  @NotOnlyInitialized private final Prefetch prefetch;
  @NotOnlyInitialized private final OutOfSync outOfSync;
  @NotOnlyInitialized private final ReverseMapping reverseMaps;
  @NotOnlyInitialized private final PinnedTops pins;
  @NotOnlyInitialized private final PoolReclaim reclaim;
  @NotOnlyInitialized private final EarlyUnshadow earlyUnshadow;
  @NotOnlyInitialized private final WriteFlooding writeFlooding;
  @NotOnlyInitialized private final FastEmulation fastEmulation;
  @NotOnlyInitialized private final PreviousRoots previousRoots;
  @NotOnlyInitialized private final ReusedTops reusedTops;
  @NotOnlyInitialized private final SecondHalf secondHalf;
  @NotOnlyInitialized private final RacedWalks racedWalks;
  private final HardwareRegsCache hardwareRegsCache;
  /**
   * Per vCPU, the fault in hand: refilled for each fault, so the fault path allocates nothing; one
   * per vCPU, since another vCPU's fault may be handled while one walked before the lock waits.
   */
  private final @Nullable Fault[] faultsInHand;
  /** Scratch for {@link Derivation#childOf} and {@link Derivation#leafOf}: the fault path allocates none. */
  private final Derivation.Child child = new Derivation.Child();
  /** The shadow about to be made, held apart from {@link #child}, which making room may reuse. */
  private final ShadowId.Held newShadow = new ShadowId.Held();
  private final Derivation.Leaf leaf = new Derivation.Leaf();

  /** An engine for {@code guest} with the techniques {@code config} switches on (else as the reference engine's). */
  // Every field is set by this(...); the checker cannot see through the techniques' references
  // back to the engine (@NotOnlyInitialized), so it takes the engine for unfinished here.
  @SuppressWarnings("method.invocation")
  public OptimizedEngine(GuestMachine guest, OptimizedConfig config, InstructionExecutor cpu, InstructionExecutor emulator) {
    this(guest, newState(guest, config), config, cpu, emulator);
    installTops();
  }

  private OptimizedEngine(
      GuestMachine guest, ShadowPool state, OptimizedConfig config, InstructionExecutor cpu, InstructionExecutor emulator) {
    super(guest, state, config.bugs(), config.twoOnTwo(), HOST_CPU, cpu, emulator);
    this.config = config;
    this.fastPath = new FastPath(config, guest, HOST_CPU, counters);
    this.prefetch = new Prefetch(this, config, guest, state, counters);
    this.outOfSync = new OutOfSync(this, config, guest, state);
    this.reverseMaps = new ReverseMapping(this, config, guest, state);
    this.pins = new PinnedTops(this, config, state);
    this.previousRoots = new PreviousRoots(this, config, state, counters);
    this.reclaim = new PoolReclaim(this, state, pins, previousRoots, counters);
    this.earlyUnshadow = new EarlyUnshadow(this, config, guest, state, counters);
    this.writeFlooding = new WriteFlooding(this, config, guest, state, counters);
    this.fastEmulation = new FastEmulation(this, config, guest, state, counters);
    this.reusedTops = new ReusedTops(this, config, guest, state, counters);
    this.secondHalf = new SecondHalf(this, config, guest, state, counters);
    this.racedWalks = new RacedWalks(config, guest, guestSide, counters);
    this.faultsInHand = new Fault[guest.vcpuCount()];
    this.hardwareRegsCache = new HardwareRegsCache(guest.vcpuCount());
  }

  private static ShadowPool newState(GuestMachine guest, OptimizedConfig config) {
    return new ShadowPool(guest.guestFrameLimit(), shadowFrames(guest, config.poolFrames()), guest.vcpuCount(),
        guest.machine().frameCount(), config.hashIndex(), config.bugs());
  }

  @Override
  public String name() {
    return "optimized";
  }

  /** The configuration the engine was built with: its techniques, pool and seeded bug. */
  public OptimizedConfig config() {
    return config;
  }

  /** How often each technique acted (fast-path hits, prefetched entries, resyncs, ...). */
  public Counters counters() {
    return counters;
  }

  // ---------------------------------------------------------------------------------------------
  // The guest's control operations: where out-of-sync tables come back

  @Override
  @Preserves(InvariantIds.OUT_OF_SYNC)
  protected void beforeCr3Load() {
    outOfSync.atCr3Load();
  }

  @Override
  protected void beforeControlChange() {
    outOfSync.resyncAll();
  }

  @Override
  protected void invlpg(Vcpu vcpu, @Gva long va) {
    outOfSync.atInvlpg(vcpu, va);
  }

  /** The guest stops tolerating staleness: out-of-sync l1s come back in sync. */
  @Override
  protected void flush() {
    outOfSync.resyncAll();
  }

  // ---------------------------------------------------------------------------------------------
  // The hypervisor's P2M changes: repaired where they reach

  /** The hypervisor flushes every TLB after a P2M change: out-of-sync l1s come back in sync first. */
  @Override
  protected void beforeP2mChange(@Gfn long gfn) {
    racedWalks.bump();
    outOfSync.resyncAll();
    fastEmulation.forgetAll();
  }

  /** The guest frame's shadows, filed anew under its new machine frame in the reverse map. */
  @Override
  protected List<Shadow> shadowsOfMovedFrame(@Gfn long gfn, P2mType oldType, @Mfn long oldMfn) {
    return reverseMaps.refile(gfn, oldType, oldMfn);
  }

  /**
   * The leaves that mapped the old machine frame, through its reverse map; a device frame's MMIO
   * markers, which no reverse map files, by their exact value (where KVM retires its MMIO sptes by
   * a generation number, paying at each fault instead of at the change).
   */
  @Override
  @Preserves(InvariantIds.P2M_COHERENT)
  protected void remapLeaves(@Gfn long gfn, P2mType oldType, @Mfn long oldMfn) {
    if (oldType.isRam()) {
      reverseMaps.remapLeavesOf(oldMfn);
    } else if (oldType == P2mType.MMIO && fastPath.makesMarkers() && !config.has(SeededBug.P2M_MMIO_MARKER_KEPT)) {
      remapLeavesEqualTo(MagicEntries.encodeMmio(gfn));
    }
  }

  /** Recomputes every 64-bit shadow leaf that is exactly {@code entry} (a marker no reverse map files). */
  private void remapLeavesEqualTo(long entry) {
    for (Shadow shadow : state.shadows()) {
      if (shadow.type().holdsPointers() || shadow.type().entryBytes() != 8) {
        continue;
      }
      for (int part = 0; part < shadow.parts() && state.holds(shadow); part++) {
        for (int index = guest.machine().nextWordMatching(shadow.mfn(part), 0, -1L, entry);
            index >= 0 && state.holds(shadow);
            index = guest.machine().nextWordMatching(shadow.mfn(part), index + 1, -1L, entry)) {
          setEntry(shadow, part, index, deriveLeaf(shadow, part, index));
        }
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The handler's steps, as ShadowEngine runs them, with the techniques where they act

  @Override
  protected Fault newFault(Vcpu vcpu, @Gva long va, int errorCode, ControlRegisters hardwareRegs, GuestOp op,
      boolean duringEventInjection) {
    Fault kept = faultsInHand[vcpu.id()];
    if (kept == null) {
      kept = super.newFault(vcpu, va, errorCode, hardwareRegs, op, duringEventInjection);
      faultsInHand[vcpu.id()] = kept;
      return kept;
    }
    return kept.refill(vcpu, va, errorCode, hardwareRegs, op, duringEventInjection);
  }

  /**
   * Raced walks: the guest walk before the shadow lock (a reserved-bit fault the fast path may
   * answer needs none), then the window in which another vCPU may run.
   */
  @Override
  protected void beforeLock(Fault fault) {
    racedWalks.walkBeforeLock(fault, fastPath.mayAnswer(fault.errorCode()));
    if (config.racedWalks()) {
      openRaceWindow(fault.vcpu().id());
    }
  }

  @Override
  protected boolean opensRaceWindows() {
    return config.racedWalks();
  }

  /** Raced walks: the walk from before the lock is used if it still holds ({@link RacedWalks#holds}). */
  @Override
  protected boolean walkBeforeLockHolds(Fault fault) {
    return racedWalks.holds(fault);
  }


  /**
   * The fast path: a reserved-bit fault on a magic entry is answered without a guest walk; and
   * fast emulation: a write fault on the page of the vCPU's last emulated page-table store is
   * emulated without one.
   */
  @Override
  @Preserves(InvariantIds.MAGIC)
  protected @Nullable FaultResolution beforeGuestWalk(Fault fault) {
    counters.handlerRuns++;
    return fastPath.mayAnswer(fault.errorCode()) ? fastPath.answer(fault, this, outOfSync) : emulateAtOnce(fault);
  }

  /**
   * Fast emulation: emulates {@code fault}'s store on the translation its vCPU remembered, if it
   * may ({@link FastEmulation#usable}), as the full handler would emulate it after its walk; null
   * if it may not or the emulator gives up (the full handler then runs).
   */
  private @Nullable FaultResolution emulateAtOnce(Fault fault) {
    FastEmulation.Remembered remembered = fastEmulation.usable(fault);
    if (remembered == null || outOfSync.mayUnsync(remembered.frame())) {
      return null;
    }
    Vcpu vcpu = fault.vcpu();
    @Maddr long storeAt = Addr.maddrOf(remembered.frame(), Addr.pageOffset(fault.va()));
    FaultResolution resolution;
    if (fault.op() instanceof GuestOp.Execute execute) {
      EmulationResult result = guestSide.runInstruction(emulator, vcpu, execute, remembered.page(), remembered.frame());
      if (result.kind() == EmulationResult.Kind.UNHANDLEABLE) {
        fastEmulation.gaveUp(vcpu.id());
        return null;
      }
      resolution = GuestSide.instructionEnded(result);
    } else if (fault.op() instanceof GuestOp.MemoryAccess access && access.va() == fault.va()) {
      resolution = guestSide.emulateAccess(vcpu, access, AccessOutcome.ok(storeAt), emulator, cpu);
    } else {
      fastEmulation.gaveUp(vcpu.id());
      return null;
    }
    afterEmulatedTableWrite(fault, remembered.frame(), storeAt);
    return emulateFollowing(fault, resolution);
  }

  @Override
  protected void preallocate(int frames) {
    reclaim.preallocate(frames);
  }

  /** A fault invalidates the page's translation: an out-of-sync l1e for it is refreshed. */
  @Override
  protected void afterGuestWalk(Fault fault) {
    outOfSync.atFault(fault.vcpu(), fault.va());
  }

  @Override
  public boolean magicEntriesOn() {
    return config.magicEntries();
  }

  /** As Xen does: the l1e of an MMIO access becomes the marker the fast path serves. */
  @Override
  protected void deviceAccess(Fault fault) {
    if (config.magicEntries() && fault.target().kind() == AccessOutcome.Kind.MMIO
        && !config.has(SeededBug.MMIO_MARKER_NOT_LEFT)) {
      shadowL1eFor(fault.vcpu(), fault.va());
    }
  }

  /**
   * A table a heuristic gave up on during the last operation (torn down, flooded, an idle top
   * reused as data) is unshadowed now, before the guest runs again; not inside that operation,
   * whose store stays what it was when the fault was taken: an emulated write to a shadowed page
   * table.
   */
  @Override
  protected void operationBegins() {
    state.recycleRetired();
    long table = state.pendingUnshadow();
    if (table >= 0) {
      state.setPendingUnshadow(-1);
      unshadow(Addr.mfn(table)); // nothing to do if its shadows went meanwhile
    }
  }

  @Override
  protected void afterEmulatedTableWrite(Fault fault, @Mfn long tableMfn, @Maddr long storeAt) {
    earlyUnshadow.afterTableWrite(fault.vcpu().id(), tableMfn, storeAt);
    fastEmulation.afterTableWrite(fault.vcpu(), fault.va(), tableMfn);
  }

  /** PAE guests: the instructions after an emulated page-table store are emulated too ({@link SecondHalf}). */
  @Override
  protected FaultResolution emulateFollowing(Fault fault, FaultResolution emulated) {
    return secondHalf.emulateFollowing(fault, emulated);
  }

  /** Runs {@code instruction} with the hypervisor's emulator on the guest's own translation. */
  EmulationResult emulateOnGuestTables(Vcpu vcpu, GuestOp.Execute instruction) {
    return guestSide.runInstruction(emulator, vcpu, instruction);
  }

  @Override
  protected boolean unsyncInsteadOfEmulating(@Mfn long tableMfn) {
    if (!outOfSync.unsyncAfterWrite(tableMfn)) {
      return false;
    }
    fastEmulation.unsynced(tableMfn);
    return true;
  }

  /** The hardware's walk of the shadows for the fault's access, A/D untouched, into {@code out}. */
  void walkShadows(Fault faulted, WalkResult out) {
    hardware.walk(faulted.vcpu().id(), faulted.va(), faulted.access(), false, out);
  }

  /**
   * Builds the chain of shadows the hardware walks for {@code va} ({@code
   * shadow_get_and_create_l1e}), creating missing levels below the top, and propagates the guest
   * entries into it down to the l1e, then prefetches. Stops early where a guest entry cannot be
   * shadowed yet.
   */
  @Override
  protected void shadowL1eFor(Vcpu vcpu, @Gva long va) {
    Shadow shadow = topOf(vcpu);
    int part = 0;
    for (int level = shadow.type().mode().hostMode().levels(); level >= 1; level--) {
      int index = shadow.type().entryIndex(va, level, vcpu.regs());
      writeFlooding.used(shadow);
      if (level == 1) {
        propagateL1e(shadow, part, index);
        prefetch.after(shadow, part, index);
        return;
      }
      long entry = readEntry(shadow, part, index);
      if (Shadow.isPresent(entry)) {
        // Follow it, as the hardware would: a present directory entry is the propagation of its
        // guest entry as it is now (INV-COHERENT; directories are never out of sync, and the
        // guest walk just revalidated every entry whose A bit it set), so there is nothing to
        // recompute on the way down.
        @Mfn long frame = shadow.type().frameOf(entry);
        shadow = ownerOf(shadow.type(), entry);
        part = shadow.partOf(frame);
        continue;
      }
      if (!derivation.childOf(shadow, part, index, child)) {
        return;
      }
      int childPart = child.part(); // read before anything below reuses the scratch
      Shadow next = state.find(child.type(), child.gfn(), child.slot(), child.flavour());
      if (next == null) {
        next = createShadow(newShadow.set(child)); // a copy: making room may reuse the child scratch
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
  private void propagateL1e(Shadow l1, int part, int index) {
    setEntry(l1, config.has(SeededBug.UPPER_HALF_L1E_IN_FIRST_FRAME) ? 0 : part, index, derive(l1, part, index));
  }

  @Override
  protected void writeGuestMachine(@Maddr long maddr, int size, long value, boolean dataWrite) {
    racedWalks.bump();
    guest.machine().write(maddr, size, value);
    @Mfn long frame = Addr.mfnOf(maddr);
    fastEmulation.written(frame);
    @Mfn long lastFrame = Addr.mfnOf(Addr.maddr(maddr + size - 1));
    if (lastFrame != frame) {
      fastEmulation.written(lastFrame); // a store straddling into the next frame
    }
    boolean unrevalidated = dataWrite && secondHalf.storing(frame, lastFrame);
    boolean flooded = dataWrite && writeFlooding.floods(frame);
    boolean reused = dataWrite && reusedTops.givesUp(maddr, size);
    if (unrevalidated || dataWrite && (config.has(SeededBug.SKIP_REVALIDATE) || earlyUnshadow.skipsRevalidation(frame, value)
        || (flooded && config.has(SeededBug.FLOODED_TABLE_NOT_REVALIDATED)) || reusedTops.skipsRevalidation(reused))) {
      return;
    }
    revalidateGuestWrite(frame, (int) Addr.pageOffset(maddr), size);
  }

  void revalidateGuestWrite(@Mfn long mfn, int offset, int size) {
    reverseMaps.revalidateGuestWrite(mfn, offset, size);
  }

  @Override
  public void revalidateBytes(Shadow shadow, int offset, int size) {
    int guestBytes = Derivation.guestEntryBytes(shadow.type());
    int firstGuest = config.has(SeededBug.STORE_INSIDE_ENTRY_NOT_REVALIDATED)
        ? (offset + guestBytes - 1) / guestBytes : offset / guestBytes;
    revalidateGuestEntries(shadow, shadow.parts(), firstGuest, (offset + size - 1) / guestBytes);
  }

  // ---------------------------------------------------------------------------------------------
  // Unshadowing and write protection

  /** Whether {@code mfn} holds a guest page table with shadows ({@code sh_mfn_is_a_page_table}). */
  @Override
  public boolean isShadowedPageTable(@Mfn long mfn) {
    return hasShadows(mfn) && !outOfSync.isOutOfSync(mfn);
  }

  /** Whether any shadow is derived from the guest table in {@code mfn}, in sync or not. */
  boolean hasShadows(@Mfn long mfn) {
    return reverseMaps.hasShadows(mfn);
  }

  /** Whether the guest table in {@code mfn} has shadows and {@code kind} holds for the type of each. */
  boolean everyShadowIs(@Mfn long mfn, Predicate<ShadowType> kind) {
    return reverseMaps.everyShadowIs(mfn, kind);
  }

  /** Whether the guest table in {@code mfn} is out of sync (its mappings writable, its shadows stale). */
  public boolean isOutOfSync(@Mfn long mfn) {
    return outOfSync.isOutOfSync(mfn);
  }

  @Override
  public void unshadow(@Mfn long mfn) {
    reverseMaps.unshadow(mfn);
  }

  @Override
  protected void revalidateMappingsOf(@Mfn long mfn) {
    reverseMaps.revalidateMappingsOf(mfn);
  }

  // ---------------------------------------------------------------------------------------------
  // Top-level shadows

  /**
   * The registers the hardware runs the vCPU with ({@link ShadowMode#hardwareRegs}), CR3 pointing
   * at the vCPU's top-level shadow (the guest's PDPT slot of a 3-on-3 top).
   */
  @Override
  public ControlRegisters hardwareRegs(int vcpu) {
    ControlRegisters regs = guest.vcpu(vcpu).regs();
    ShadowKey rootKey = state.root(vcpu);
    ControlRegisters cached = hardwareRegsCache.cached(vcpu, regs, rootKey);
    if (cached != null) {
      return cached;
    }
    Shadow root = state.rootShadow(vcpu);
    long cr3 = root == null ? 0 : Addr.maddrOf(root.mfn(0), 0) + ((long) root.type().topOffset(regs) << 3);
    return hardwareRegsCache.remember(vcpu, regs, rootKey, shadowModeFor(regs).hardwareRegs(regs, cr3));
  }

  // ---------------------------------------------------------------------------------------------
  // The shadow tables, as ShadowTables keeps them, with the techniques' records

  @Override
  protected void beforeShadowing(ShadowId key) {
    outOfSync.beforeShadowing(key);
  }

  @Override
  protected void created(Shadow shadow) {
    reverseMaps.created(shadow);
  }

  @Override
  protected void destroying(Shadow shadow) {
    reverseMaps.destroying(shadow);
    fastEmulation.unprotecting(shadow);
  }

  @Override
  protected void destroyed(Shadow shadow) {
    outOfSync.afterDestroy(shadow);
  }

  @Override
  protected void leafChanging(Shadow shadow, int part, int index) {
    outOfSync.noteRewrite(shadow, part, index);
  }

  @Override
  protected void leafChanged(ShadowType type, @Maddr long address, long old, long value) {
    reverseMaps.leafChanged(type, address, old, value);
  }

  @Override
  protected void newPathTo(Shadow child) {
    outOfSync.beforeNewPath(child);
  }

  @Override
  protected void pointerSet(Shadow child, @Maddr long address) {
    reverseMaps.pointerSet(child, address);
  }

  @Override
  protected void pointerCleared(Shadow child, @Maddr long address) {
    reverseMaps.pointerCleared(child, address);
  }

  @Override
  protected @Nullable Shadow keptTop(int vcpu, ShadowKey wanted) {
    Shadow kept = previousRoots.reuse(vcpu, wanted);
    if (kept != null) {
      writeFlooding.used(kept); // taken back into use, as KVM clears a reused root's flooding count
    }
    return kept;
  }

  @Override
  protected void installed(Shadow top) {
    pins.installed(top);
  }

  @Override
  protected boolean keepsLeftTop(int vcpu, Shadow old) {
    return previousRoots.keep(vcpu, old);
  }

  @Override
  protected void unshadowing(Shadow victim) {
    pins.unpin(victim);
    previousRoots.unshadowing(victim);
  }

  // ---------------------------------------------------------------------------------------------
  // Derivation: what every shadow entry must be, given the guest's current entries

  /**
   * The value entry {@code index} of frame {@code part} of {@code shadow} must have: the
   * propagation of the guest entry it shadows ({@code _sh_propagate}), a magic marker, or 0 when
   * that entry cannot be shadowed now (not present, reserved bits, A clear, child not built yet).
   */
  @Override
  public long derive(Shadow shadow, int part, int index) {
    if (!shadow.type().holdsPointers()) {
      return deriveLeaf(shadow, part, index);
    }
    if (!derivation.childOf(shadow, part, index, child)) {
      return 0;
    }
    Shadow target = state.find(child.type(), child.gfn(), child.slot(), child.flavour());
    if (target == null) {
      return 0;
    }
    return Propagation.directory(
        child.guestEntry(), child.guestMode(), child.guestLevel(), target.mfn(child.part()),
        shadow.nxe(), shadow.type().mode().format());
  }

  long deriveLeaf(Shadow shadow, int part, int index) {
    return leafValue(shadow, derivation.leafOf(shadow, part, index, leaf), leaf, P2mType.RAM_RO, true);
  }

  /**
   * The leaf a shadow with {@code key} gets for a guest leaf derived as {@code source} (and, when
   * it is {@code MAPPED}, {@code derived}): a magic marker where the fast path makes one, the
   * propagation of the guest leaf, or 0. Prefetch passes its own view of read-only RAM and of
   * page-table protection ({@code readOnlyRamAs}, {@code protectTables}; only its seeded bugs differ).
   */
  long leafValue(ShadowId key, Derivation.Source source, Derivation.Leaf derived, P2mType readOnlyRamAs,
      boolean protectTables) {
    if (fastPath.magicFor(key.type())) {
      long marker = fastPath.markerFor(source, derived, key.nxe());
      if (marker != 0) {
        return marker;
      }
    }
    if (source != Derivation.Source.MAPPED) {
      return 0;
    }
    return leafFor(derived.guestLeaf(), derived.gfn(), key.nxe(), key.type().mode().format(), readOnlyRamAs,
        protectTables);
  }

  /** {@link Propagation#leaf} for a guest leaf mapping {@code gfn}, with the seeded bugs. */
  private long leafFor(long guestLeaf, @Gfn long gfn, boolean nxe, ShadowFormat format, P2mType readOnlyRamAs,
      boolean protectTables) {
    P2m p2m = guest.p2m();
    P2mType type = p2m.type(gfn) == P2mType.RAM_RO ? readOnlyRamAs : p2m.type(gfn);
    @Mfn long mfn = p2m.mfn(gfn);
    boolean pageTable = type.isRam() && isShadowedPageTable(mfn) && !config.has(SeededBug.SKIP_WRITE_PROTECT)
        && protectTables;
    return Propagation.leaf(
        config.has(SeededBug.IGNORE_DIRTY) ? guestLeaf | EntryBits.D : guestLeaf,
        type, mfn, pageTable || logDirtyProtects(gfn), config.has(SeededBug.DROP_NX) ? false : nxe, format);
  }

  // ---------------------------------------------------------------------------------------------
  // What the techniques share with the engine

  Derivation derivation() {
    return derivation;
  }

  ShadowEvents events() {
    return events;
  }

  // ---------------------------------------------------------------------------------------------
  // Platform: copies and fingerprints

  @Override
  public OptimizedEngine copy() {
    return withEngineStateOf(new OptimizedEngine(guest.copy(), state.copy(), config, cpu, emulator));
  }

  /** Guest memory, P2M and vCPUs; the shadow index, frames and contents; roots and the lock; the dirty log. */
  @Override
  public long fingerprint() {
    long h = (guest.guestFingerprint() * 31 + state.hash()) * 31 + WordFold.of(dirtyLog);
    for (Shadow shadow : state.shadows()) {
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
  public boolean isOutOfSync(ShadowTable table) {
    Shadow shadow = state.owner(Addr.mfn(table.mfn(0)));
    return shadow != null && outOfSync.shadowsOutOfSyncTable(shadow);
  }

  @Override
  public boolean resyncSkips(ShadowTable table, int part, int index) {
    Shadow shadow = state.owner(Addr.mfn(table.mfn(0)));
    return shadow != null && outOfSync.resyncSkips(shadow, part, index);
  }

}
