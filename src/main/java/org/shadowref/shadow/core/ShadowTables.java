package org.shadowref.shadow.core;

import java.util.ArrayList;
import java.util.List;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.arch.Addr;
import org.shadowref.arch.ControlRegisters;
import org.shadowref.arch.EntryBits;
import org.shadowref.arch.qual.Gfn;
import org.shadowref.arch.qual.Maddr;
import org.shadowref.arch.qual.Mfn;
import org.shadowref.memory.MachineMemory;
import org.shadowref.shadow.GuestMachine;
import org.shadowref.shadow.Vcpu;

/**
 * An engine's shadow tables: making, writing and dropping shadows in its {@link ShadowStore}, with
 * their reference counts (INV-SHADOW-STRUCTURE) and the write protection of the guest tables they
 * shadow (INV-WRITE-PROTECT); installing each vCPU's top; finding and recomputing what derives
 * from a guest frame. Both engines do this alike. The optimized engine's techniques act at the
 * points named below ({@link #created}, {@link #leafChanged}, ...), which do nothing by default;
 * each engine derives entries its own way ({@link #derive}).
 */
public abstract class ShadowTables<S extends ShadowStore> {
  protected final GuestMachine guest;
  protected final Derivation derivation;
  /** The shadow index, frames, roots and lock. */
  protected final S state;
  /** The seeded bugs the engine runs with (none in every real configuration). */
  private final SeededBugs bugs;
  /** Whether 32-bit guests run on 32-bit shadows (else on PAE shadows, as Xen does). */
  private final boolean twoOnTwo;
  /** How often the shadows below the tops were dropped (a handler compares it before and after its preallocation). */
  private long drops;

  protected ShadowTables(GuestMachine guest, S state, SeededBugs bugs, boolean twoOnTwo) {
    this.guest = guest;
    this.derivation = new Derivation(guest);
    this.state = state;
    this.bugs = bugs;
    this.twoOnTwo = twoOnTwo;
  }

  /**
   * The hypervisor frames a store gets: every machine frame above the guest's, or at most
   * {@code poolFrames} of them when that is not 0.
   */
  protected static int shadowFrames(GuestMachine guest, int poolFrames) {
    int available = guest.machine().frameCount() - guest.guestFrameLimit();
    return poolFrames > 0 ? Math.min(poolFrames, available) : available;
  }

  /** The shadow index, frames, roots and lock, read-only to callers outside the engine. */
  public final S state() {
    return state;
  }

  /** How often the shadows below the tops have been dropped so far. */
  protected final long shadowDrops() {
    return drops;
  }

  protected final boolean seeded(SeededBug bug) {
    return bugs.has(bug);
  }

  /**
   * The value entry {@code index} of frame {@code part} of {@code shadow} must have: the
   * propagation of the guest entry it shadows ({@code _sh_propagate}), or 0 when that entry
   * cannot be shadowed now (not present, reserved bits, A clear, child shadow not built yet).
   */
  public abstract long derive(Shadow shadow, int part, int index);

  /** Whether {@code mfn} holds a guest page table with shadows ({@code sh_mfn_is_a_page_table}). */
  public abstract boolean isShadowedPageTable(@Mfn long mfn);

  /**
   * Recomputes every present shadow leaf that maps {@code mfn}: run when the frame becomes a
   * shadowed page table (its mappings lose write access) and when it stops being one.
   */
  protected abstract void revalidateMappingsOf(@Mfn long mfn);

  /** Makes sure {@code frames} shadow frames are free ({@code shadow_prealloc}). */
  protected abstract void preallocate(int frames);

  // ---------------------------------------------------------------------------------------------
  // Where techniques act; nothing by default

  /** A shadow of {@code key} is about to be made. */
  protected void beforeShadowing(ShadowId id) {}

  /** {@code shadow} was made. */
  protected void created(Shadow shadow) {}

  /** {@code shadow}, whose directory entries are cleared already, is about to leave the store. */
  protected void destroying(Shadow shadow) {}

  /** {@code shadow} has left the store. */
  protected void destroyed(Shadow shadow) {}

  /** Leaf {@code index} of frame {@code part} of {@code shadow}, at {@code address}, is about to change from {@code old} to {@code value}. */
  protected void leafChanging(Shadow shadow, int part, int index) {}

  /** The leaf at {@code address} changed from {@code old} to {@code value}. */
  protected void leafChanged(ShadowType type, @Maddr long address, long old, long value) {}

  /** An empty directory entry is about to point at {@code child}: a new path to it. */
  protected void newPathTo(Shadow child) {}

  /** The directory entry at {@code address} now points at {@code child}. */
  protected void pointerSet(Shadow child, @Maddr long address) {}

  /** The directory entry at {@code address} no longer points at {@code child}. */
  protected void pointerCleared(Shadow child, @Maddr long address) {}

  /** A vCPU has just installed {@code top}. */
  protected void installed(Shadow top) {}

  /** Every shadow of a guest frame is about to be unshadowed, {@code victim} first. */
  protected void unshadowing(Shadow victim) {}

  // ---------------------------------------------------------------------------------------------
  // Top-level shadows

  /** Installs every vCPU's first top-level shadow: the end of an engine's construction. */
  protected final void installTops() {
    for (int vcpu = 0; vcpu < guest.vcpuCount(); vcpu++) {
      installTop(guest.vcpu(vcpu));
    }
  }

  /** Installs the top-level shadow for the vCPU's current guest root and modes (a CR3 load). */
  protected final void installTop(Vcpu vcpu) {
    S store = state;
    ShadowKey wanted = topKeyFor(vcpu.regs());
    ShadowKey current = store.root(vcpu.id());
    if (current != null && wanted.equals(current)) {
      return;
    }
    Shadow top = keptTop(vcpu.id(), wanted);
    if (top == null) {
      preallocate(ShadowEngine.CHAIN_FRAMES);
      top = store.find(wanted);
      if (top == null) {
        if (wanted.type() == ShadowType.L3_32_PAE && store.find(wanted.pdptL2()) == null) {
          createShadow(wanted.pdptL2()); // the top's four entries point at its four parts
        }
        top = createShadow(wanted);
        for (int index = 0; index < 4 && top.type() == ShadowType.L3_32_PAE; index++) {
          setEntry(top, 0, index, derive(top, 0, index));
        }
      }
      top.addRef();
    }
    store.setRoot(vcpu.id(), top);
    installed(top);
    if (current != null) {
      Shadow old = store.find(current);
      if (old != null && !keepsLeftTop(vcpu.id(), old)) {
        release(old);
      }
    }
  }

  /**
   * A top of {@code wanted} that a technique kept for vCPU {@code vcpu} with a reference of its
   * own, which passes to the vCPU's CR3 (nothing is built or counted); or null to find or build
   * one as usual.
   */
  protected @Nullable Shadow keptTop(int vcpu, ShadowKey wanted) {
    return null;
  }

  /**
   * vCPU {@code vcpu} has just left the top {@code old}: whether a technique keeps it, taking over
   * the CR3's reference (else the caller drops that reference).
   */
  protected boolean keepsLeftTop(int vcpu, Shadow old) {
    return false;
  }

  /** The shadow mode for a vCPU's registers. */
  public ShadowMode shadowModeFor(ControlRegisters regs) {
    return ShadowMode.of(regs, twoOnTwo);
  }

  private ShadowKey topKeyFor(ControlRegisters regs) {
    return shadowModeFor(regs).topKey(regs, guest.cpu().maxPhysAddr());
  }

  // ---------------------------------------------------------------------------------------------
  // Shadows: creation, entries, reference counts, destruction

  protected final Shadow createShadow(ShadowId id) {
    beforeShadowing(id);
    boolean wasPageTable = id.type().shadowsGuestFrame() && guestFrameIsShadowed(id.gfn());
    Shadow shadow = state.insert(id);
    for (int part = 0; part < shadow.parts(); part++) {
      guest.machine().zeroFrame(shadow.mfn(part));
    }
    created(shadow);
    // From here on the shadow's own fields: id may be a scratch the steps below reuse.
    if (shadow.type().shadowsGuestFrame() && !wasPageTable && guest.p2m().type(shadow.gfn()).isRam()
        && !seeded(SeededBug.NO_PROTECT_NEW_TABLE)) {
      // INV-WRITE-PROTECT: the frame just became a shadowed page table.
      revalidateMappingsOf(guest.p2m().mfn(shadow.gfn()));
    }
    return shadow;
  }

  private boolean guestFrameIsShadowed(@Gfn long gfn) {
    return guest.p2m().type(gfn).isRam() && isShadowedPageTable(guest.p2m().mfn(gfn));
  }

  /** Drops one reference to {@code shadow}, and the shadow with it if that was the last. */
  public final void release(Shadow shadow) {
    if (shadow.dropRef()) {
      destroy(shadow);
    }
  }

  /** Drops {@code shadow}: its directory entries' references first, then its frames. */
  public final void destroy(Shadow shadow) {
    ShadowType type = shadow.type();
    if (type.holdsPointers()) {
      // Only the entries that are set hold a reference (an absent shadow entry is 0).
      for (int part = 0; part < shadow.parts(); part++) {
        for (int index = shadow.nextSetEntry(guest.machine(), part, 0); index >= 0;
            index = shadow.nextSetEntry(guest.machine(), part, index + 1)) {
          setEntry(shadow, part, index, 0);
        }
      }
    }
    destroying(shadow);
    state.remove(shadow);
    for (int part = 0; part < shadow.parts(); part++) {
      guest.machine().zeroFrame(shadow.mfn(part));
    }
    destroyed(shadow);
    @Gfn long gfn = shadow.gfn();
    if (shadow.type().shadowsGuestFrame() && guest.p2m().type(gfn).isRam() && !guestFrameIsShadowed(gfn)) {
      // The frame stopped being a page table: its mappings may be writable again.
      revalidateMappingsOf(guest.p2m().mfn(gfn));
    }
  }

  /** Writes one shadow entry, moving references from the shadow it pointed at to the new one. */
  public final void setEntry(Shadow shadow, int part, int index, long value) {
    long old = readEntry(shadow, part, index);
    if (old == value) {
      return;
    }
    ShadowType type = shadow.type();
    @Maddr long address = shadow.entryAddress(part, index);
    if (!type.holdsPointers()) {
      leafChanging(shadow, part, index);
      guest.machine().write(address, type.entryBytes(), value);
      leafChanged(type, address, old, value);
      return;
    }
    if (Shadow.isPresent(value)) {
      Shadow child = ownerOf(type, value);
      if (!Shadow.isPresent(old)) {
        newPathTo(child);
      }
      child.addRef();
      pointerSet(child, address);
    }
    guest.machine().write(address, type.entryBytes(), value);
    if (Shadow.isPresent(old)) {
      Shadow child = ownerOf(type, old);
      pointerCleared(child, address);
      if (!seeded(SeededBug.LEAK_REFCOUNT)) {
        release(child);
      }
    }
  }

  /** The shadow a present directory entry of {@code type} points at. */
  public final Shadow ownerOf(ShadowType type, long entry) {
    Shadow owner = state.owner(type.frameOf(entry));
    if (owner == null) {
      throw new IllegalStateException("shadow entry " + Addr.hex(entry) + " points at no shadow");
    }
    return owner;
  }

  public final long readEntry(Shadow shadow, int part, int index) {
    return shadow.readEntry(guest.machine(), part, index);
  }

  /**
   * Drops every shadow below the tops ({@code shadow_blow_tables}), which faults then rebuild, so
   * that {@code frames} frames are free; failing that, the shadow memory is too small for one fault.
   */
  public final void dropShadowsBelowTops(int frames) {
    drops++;
    S store = state;
    for (Shadow shadow : store.shadows()) {
      if (!store.holds(shadow) || !isDroppable(shadow)) {
        continue;
      }
      for (int part = 0; part < shadow.parts(); part++) {
        for (int index = 0; index < shadow.type().entriesPerFrame(); index++) {
          if (store.holds(shadow)) {
            setEntry(shadow, part, index, 0);
          }
        }
      }
    }
    if (store.freeFrames() < frames) {
      throw new IllegalStateException(
          "shadow memory exhausted: " + store.freeFrames() + " of " + store.totalFrames()
              + " frames free after dropping all shadows below the tops, " + frames + " needed");
    }
  }

  /** The top-level shadow {@code vcpu} runs on; every vCPU has one from the engine's construction. */
  protected final Shadow topOf(Vcpu vcpu) {
    Shadow top = state.rootShadow(vcpu.id());
    if (top == null) {
      throw new IllegalStateException("vcpu" + vcpu.id() + " has no top-level shadow");
    }
    return top;
  }

  /** Whether clearing this table's entries frees shadows without breaking a top's structure. */
  private static boolean isDroppable(Shadow shadow) {
    ShadowType type = shadow.type();
    if (type == ShadowType.L3_32_PAE) {
      return false; // its entries are the l2 shadow's parts, which the top cannot do without
    }
    return type.isTop() || type == ShadowType.L2_32_PAE;
  }

  // ---------------------------------------------------------------------------------------------
  // What derives from a guest frame, found by searching every shadow

  /** Whether any shadow derives from the guest table in {@code mfn}. */
  public final boolean hasShadowsByScan(@Mfn long mfn) {
    for (Shadow shadow : state.shadowsView()) {
      if (derivation.derivedFrom(shadow, mfn)) {
        return true;
      }
    }
    return false;
  }

  /** {@link #revalidateBytes} on every shadow derived from the guest table in {@code mfn}. */
  public final void revalidateGuestWriteByScan(@Mfn long mfn, int offset, int size) {
    S store = state;
    for (Shadow shadow : store.shadows()) {
      if (store.holds(shadow) && derivation.derivedFrom(shadow, mfn)) {
        revalidateBytes(shadow, offset, size);
      }
    }
  }

  /**
   * Recomputes the entries of {@code shadow} derived from guest bytes {@code offset..+size} of its
   * guest table ({@code sh_validate_guest_entry}).
   */
  public abstract void revalidateBytes(Shadow shadow, int offset, int size);

  /** Recomputes the entries of {@code parts} frames of {@code shadow} derived from guest entries {@code firstGuest..lastGuest}. */
  protected final void revalidateGuestEntries(Shadow shadow, int parts, int firstGuest, int lastGuest) {
    for (int part = 0; part < parts; part++) {
      int to = Derivation.derivedRunEnd(shadow, part, firstGuest, lastGuest);
      for (int index = Derivation.derivedRunStart(shadow, part, firstGuest, lastGuest);
          index < to && state.holds(shadow); index++) {
        setEntry(shadow, part, index, derive(shadow, part, index));
      }
    }
  }

  /** The shadows derived from the guest table in frame {@code gfn}, found by searching every shadow. */
  public final List<Shadow> shadowsOfGuestFrameByScan(@Gfn long gfn) {
    List<Shadow> found = new ArrayList<>();
    for (Shadow shadow : state.shadowsView()) {
      if (shadow.type().shadowsGuestFrame() && shadow.gfn() == gfn) {
        found.add(shadow);
      }
    }
    return found;
  }

  /** Recomputes every entry of {@code shadow} that derives from an entry of its guest table. */
  protected final void revalidateWholeTable(Shadow shadow) {
    revalidateGuestEntries(shadow, shadow.parts(), 0, (int) (Addr.PAGE_SIZE / Derivation.guestEntryBytes(shadow.type())) - 1);
  }

  /**
   * {@code sh_remove_shadows} by searching every directory of every shadow: drops every shadow of
   * the guest frame at {@code mfn} by clearing the entries that point at it. A top-level shadow a
   * vCPU runs on stays (its CR3 needs it).
   */
  public final void unshadowByScan(@Mfn long mfn) {
    S store = state;
    for (Shadow victim : store.shadows()) {
      if (!store.holds(victim) || !derivation.derivedFrom(victim, mfn)) {
        continue;
      }
      unshadowing(victim);
      for (Shadow parent : store.shadows()) {
        if (!store.holds(parent) || !parent.type().holdsPointers()) {
          continue;
        }
        clearPointersTo(parent, victim);
        if (!store.holds(victim)) {
          break;
        }
      }
    }
  }

  private void clearPointersTo(Shadow parent, Shadow victim) {
    S store = state;
    for (int part = 0; part < parent.parts(); part++) {
      for (int index = 0; index < parent.type().entriesPerFrame(); index++) {
        if (!store.holds(parent) || !store.holds(victim)) {
          return;
        }
        long entry = readEntry(parent, part, index);
        if (Shadow.isPresent(entry) && store.owner(parent.type().frameOf(entry)) == victim) {
          setEntry(parent, part, index, 0);
        }
      }
    }
  }

  /** {@link #revalidateMappingsOf} by reading every leaf of every l1 shadow. */
  public final void revalidateMappingsByScan(@Mfn long mfn) {
    S store = state;
    MachineMemory memory = guest.machine();
    for (Shadow shadow : store.shadows()) {
      if (shadow.type().holdsPointers() || !store.holds(shadow)) {
        continue;
      }
      for (int part = 0; part < shadow.parts(); part++) {
        if (shadow.type().entryBytes() == 8) {
          // One entry per word: the present entries mapping mfn are found without a read each
          // (a magic entry's reserved bits keep it from matching any machine frame).
          long mask = EntryBits.P | EntryBits.ADDR_MASK_64;
          long wanted = EntryBits.P | Addr.maddrOf(mfn, 0);
          for (int index = memory.nextWordMatching(shadow.mfn(part), 0, mask, wanted);
              index >= 0 && store.holds(shadow);
              index = memory.nextWordMatching(shadow.mfn(part), index + 1, mask, wanted)) {
            setEntry(shadow, part, index, derive(shadow, part, index));
          }
          continue;
        }
        for (int index = 0; index < shadow.type().entriesPerFrame(); index++) {
          long entry = readEntry(shadow, part, index);
          if (Shadow.isPresent(entry) && shadow.type().frameOf(entry) == mfn && store.holds(shadow)) {
            setEntry(shadow, part, index, derive(shadow, part, index));
          }
        }
      }
    }
  }
}
