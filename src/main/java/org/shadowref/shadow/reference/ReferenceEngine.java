package org.shadowref.shadow.reference;

import java.util.function.LongConsumer;
import org.shadowref.arch.Addr;
import org.shadowref.arch.ControlRegisters;
import org.shadowref.arch.CpuModel;
import org.shadowref.arch.EntryBits;
import org.shadowref.arch.PagingMode;
import org.shadowref.arch.qual.Gfn;
import org.shadowref.arch.qual.Gva;
import org.shadowref.arch.qual.Maddr;
import org.shadowref.arch.qual.Mfn;
import org.shadowref.emulate.InstructionExecutor;
import org.shadowref.memory.P2m;
import org.shadowref.memory.P2mType;
import org.shadowref.mmu.Walker;
import org.shadowref.shadow.GuestMachine;
import org.shadowref.shadow.GuestOp;
import org.shadowref.shadow.Platform;
import org.shadowref.shadow.Vcpu;
import org.shadowref.shadow.WordFold;
import org.shadowref.shadow.core.Derivation;
import org.shadowref.shadow.core.Fault;
import org.shadowref.shadow.core.SeededBug;
import org.shadowref.shadow.core.SeededBugs;
import org.shadowref.shadow.core.Shadow;
import org.shadowref.shadow.core.ShadowEngine;
import org.shadowref.shadow.core.ShadowKey;
import org.shadowref.shadow.core.ShadowMode;
import org.shadowref.shadow.core.ShadowType;
import org.shadowref.shadow.entry.Propagation;
import org.shadowref.shadow.entry.ShadowFormat;
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
public final class ReferenceEngine extends ShadowEngine<ShadowState> {
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
    /** PAE shadows for every guest, every hypervisor frame as a shadow, no seeded bug. */
    public static final Config DEFAULT = new Config(false, 0, SeededBugs.NONE);

    /** Refuses a seeded bug the reference engine does not carry. */
    public Config {
      for (SeededBug bug : bugs.asSet()) {
        if (!bug.inReference()) {
          throw new IllegalArgumentException("the reference engine does not carry the seeded bug " + bug);
        }
      }
    }

    /** This configuration with 32-bit guests shadowed on 32-bit shadows ({@code on}) or on PAE. */
    public Config withTwoOnTwo(boolean on) {
      return new Config(on, poolFrames, bugs);
    }

    /** This configuration with a pool of {@code frames} shadow frames (0: all the hypervisor has). */
    public Config withPoolFrames(int frames) {
      return new Config(twoOnTwo, frames, bugs);
    }

    /** This configuration with {@code bug} switched on as well. */
    public Config withBug(SeededBug bug) {
      return new Config(twoOnTwo, poolFrames, bugs.with(bug));
    }

    /** True when {@code bug} is switched on. */
    public boolean has(SeededBug bug) {
      return bugs.has(bug);
    }
  }

  private final Config config;

  /**
   * The reference engine running {@code guest}, its top-level shadows installed.
   *
   * @param guest the guest to run; machine frames from its guest frame limit up become shadows
   * @param cpu the executor playing the CPU for {@link GuestOp.Execute} (the independent one)
   * @param emulator the hypervisor's emulator, for stores to shadowed page tables
   */
  public ReferenceEngine(GuestMachine guest, Config config, InstructionExecutor cpu, InstructionExecutor emulator) {
    super(guest, new ShadowState(guest.guestFrameLimit(), shadowFrames(guest, config.poolFrames()), guest.vcpuCount()),
        config.bugs(), config.twoOnTwo(), HOST_CPU, cpu, emulator);
    this.config = config;
    installTops();
  }

  /** A copy of {@code original}: its guest, its shadows and its configuration ({@link #copy}). */
  private ReferenceEngine(ReferenceEngine original) {
    super(original.guest.copy(), original.state.copy(), original.config.bugs(), original.config.twoOnTwo(), HOST_CPU,
        original.cpu, original.emulator);
    this.config = original.config;
  }

  @Override
  public String name() {
    return "reference";
  }

  /** The configuration the engine was built with. */
  public Config config() {
    return config;
  }

  // ---------------------------------------------------------------------------------------------
  // The handler's steps, as ShadowEngine runs them, with the seeded bugs of this engine

  @Override
  protected void buildShadows(Fault fault) {
    if (!seeded(SeededBug.NO_SHADOW_BUILT)) {
      super.buildShadows(fault);
    }
  }

  /**
   * Builds the chain of shadows the hardware walks for {@code va} ({@code
   * shadow_get_and_create_l1e}), creating missing levels below the top, and propagates the guest
   * entries into it down to the l1e. Stops early where a guest entry cannot be shadowed yet.
   */
  @Override
  protected void shadowL1eFor(Vcpu vcpu, @Gva long va) {
    Shadow shadow = topOf(vcpu);
    int part = 0;
    for (int level = shadow.type().mode().hostMode().levels(); level > 1; level--) {
      int index = shadow.type().entryIndex(va, level, vcpu.regs());
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
    propagateL1e(shadow, part, shadow.type().entryIndex(va, 1, vcpu.regs()));
  }

  /** {@code l1e_propagate_from_guest}: the shadow l1e becomes the propagation of the guest l1e. */
  private void propagateL1e(Shadow l1, int part, int index) {
    setEntry(l1, part, index, derive(l1, part, index));
  }

  @Override
  protected boolean hardwareAllows(Fault fault) {
    return !seeded(SeededBug.HARDWARE_NEVER_ALLOWS) && super.hardwareAllows(fault);
  }

  @Override
  protected void writeGuestMachine(@Maddr long maddr, int size, long value, boolean dataWrite) {
    if (!dataWrite && seeded(SeededBug.WALK_SETS_DIRTY_ON_READ)) {
      value |= EntryBits.D;
    }
    guest.machine().write(maddr, size, value);
    if (dataWrite && seeded(SeededBug.SKIP_REVALIDATE)) {
      return;
    }
    revalidateGuestWriteByScan(Addr.mfnOf(maddr), (int) Addr.pageOffset(maddr), size);
  }

  @Override
  public void revalidateBytes(Shadow shadow, int offset, int size) {
    int guestBytes = seeded(SeededBug.SHADOW_WIDTH_FOR_GUEST_ENTRIES)
        ? shadow.type().entryBytes() : Derivation.guestEntryBytes(shadow.type());
    int firstGuest = offset / guestBytes;
    int lastGuest = seeded(SeededBug.STRADDLE_REVALIDATES_FIRST_ENTRY) ? firstGuest : (offset + size - 1) / guestBytes;
    int parts = seeded(SeededBug.UPPER_HALF_NOT_REVALIDATED) ? 1 : shadow.parts();
    revalidateGuestEntries(shadow, parts, firstGuest, lastGuest);
  }

  // ---------------------------------------------------------------------------------------------
  // Finding what derives from a guest frame: by searching every shadow

  @Override
  public boolean isShadowedPageTable(@Mfn long mfn) {
    return hasShadowsByScan(mfn);
  }

  @Override
  public void unshadow(@Mfn long mfn) {
    unshadowByScan(mfn);
  }

  @Override
  protected void revalidateMappingsOf(@Mfn long mfn) {
    revalidateMappingsByScan(mfn);
  }

  /**
   * Makes sure {@code frames} shadow frames are free ({@code shadow_prealloc}); if not, drops every
   * shadow below the tops ({@code shadow_blow_tables}) and lets faults rebuild them.
   */
  @Override
  protected void preallocate(int frames) {
    if (state.freeFrames() < frames) {
      dropShadowsBelowTops(frames);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Top-level shadows: the hardware registers

  /**
   * The registers the hardware runs the vCPU with ({@link ShadowMode#hardwareRegs}), CR3 pointing
   * at the vCPU's top-level shadow (the guest's PDPT slot of a 3-on-3 top).
   */
  @Override
  public ControlRegisters hardwareRegs(int vcpu) {
    ControlRegisters regs = guest.vcpu(vcpu).regs();
    Shadow root = state.rootShadow(vcpu);
    int topOffset = seeded(SeededBug.PAE_CR3_LOW_BITS_DROPPED) || root == null ? 0 : root.type().topOffset(regs);
    long cr3 = root == null ? 0 : Addr.maddrOf(root.mfn(0), 0) + ((long) topOffset << 3);
    ControlRegisters hardware = shadowModeFor(regs).hardwareRegs(regs, cr3);
    return seeded(SeededBug.HARDWARE_DROPS_SMAP) ? hardware.withCr4(hardware.cr4() & ~ControlRegisters.CR4_SMAP) : hardware;
  }

  // ---------------------------------------------------------------------------------------------
  // Derivation: what every shadow entry must be, given the guest's current entries

  /**
   * The value entry {@code index} of frame {@code part} of {@code shadow} must have: the
   * propagation of the guest entry it shadows ({@code _sh_propagate}), or 0 when that entry
   * cannot be shadowed now (not present, reserved bits, A clear, child shadow not built yet).
   */
  @Override
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
        type, mfn, (pageTable && !seeded(SeededBug.SKIP_WRITE_PROTECT)) || logDirtyProtects(gfn), nxe, format);
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
  public ReferenceEngine copy() {
    return withEngineStateOf(new ReferenceEngine(this));
  }

  /** Overwrites {@code target} in place when it is an engine of the same configuration. */
  @Override
  public ReferenceEngine copyInto(Platform target) {
    if (!(target instanceof ReferenceEngine engine)
        || engine.config != config || engine.cpu != cpu || engine.emulator != emulator) {
      return copy();
    }
    guest.copyInto(engine.guest);
    state.copyInto(engine.state);
    engine.stopListening();
    return withEngineStateOf(engine);
  }

  @Override
  public long fingerprint() {
    return WordFold.of(this);
  }

  /** Guest memory, P2M and vCPUs; the shadow index, frames and contents; roots and the lock; the dirty log. */
  @Override
  public void fingerprint(LongConsumer into) {
    guest.fingerprint(into);
    state.fingerprint(into);
    dirtyLog.fingerprint(into);
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

}
