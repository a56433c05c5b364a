package org.shadowref.shadow.optimized;

import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.arch.Addr;
import org.shadowref.arch.CpuModel;
import org.shadowref.arch.EntryBits;
import org.shadowref.arch.PfErrorCode;
import org.shadowref.arch.qual.Gfn;
import org.shadowref.arch.qual.Gpa;
import org.shadowref.memory.P2mType;
import org.shadowref.mmu.AccessOutcome;
import org.shadowref.mmu.FaultKind;
import org.shadowref.mmu.NativeMmu;
import org.shadowref.mmu.WalkResult;
import org.shadowref.mmu.Walker;
import org.shadowref.shadow.GuestMachine;
import org.shadowref.shadow.OpResult;
import org.shadowref.shadow.core.Derivation;
import org.shadowref.shadow.core.Fault;
import org.shadowref.shadow.core.FaultResolution;
import org.shadowref.shadow.core.SeededBug;
import org.shadowref.shadow.core.ShadowType;
import org.shadowref.shadow.entry.MagicEntries;
import org.shadowref.shadow.entry.ShadowFormat;

/**
 * The reserved-bit fast path (Xen's {@code SHOPT_FAST_FAULT_PATH}): l1 entries the guest cannot
 * use are not left empty but made magic, with reserved bits set, so the hardware's fault says
 * RSVD and the handler answers it without a guest walk. A guest-not-present marker stands for a
 * guest l1e that is not present; an MMIO marker names the device frame a guest l1e maps. Switch:
 * {@link OptimizedConfig#magicEntries}; markers are made only in 64-bit shadow entries, where the
 * host's MAXPHYADDR leaves reserved bits to set ({@link MagicEntries#usable}).
 */
final class FastPath {
  private final OptimizedConfig config;
  private final GuestMachine guest;
  private final Counters counters;
  private final boolean usable;
  /** Scratch for the fast path's walk of the shadows (the engine runs one fault at a time). */
  private final WalkResult walk = new WalkResult();

  FastPath(OptimizedConfig config, GuestMachine guest, CpuModel hostCpu, Counters counters) {
    this.config = config;
    this.guest = guest;
    this.counters = counters;
    this.usable = config.magicEntries() && MagicEntries.usable(hostCpu);
  }

  /** Whether a fault with {@code errorCode} may be a magic entry's. */
  boolean mayAnswer(int errorCode) {
    return config.magicEntries() && (errorCode & PfErrorCode.RSVD) != 0;
  }

  /**
   * A fault with RSVD set can only come from a magic l1 entry (no propagated entry has a reserved
   * bit: INV-NO-AMPLIFY and INV-MAGIC). A guest-not-present marker means the guest's own l1e is
   * not present, so the guest gets its not-present fault; an MMIO marker names the guest frame, so
   * the access exits to the device model, provided the upper levels grant it (the marker is made
   * only for l1es that grant everything and need no A/D update). A marker that is gone (fixed
   * since the hardware faulted) is a false alarm: retry. Null: leave it to the full handler.
   */
  @Nullable FaultResolution answer(Fault fault, OptimizedEngine engine, OutOfSync outOfSync) {
    engine.walkShadows(fault, walk);
    if (walk.fault() != FaultKind.RESERVED_BIT) {
      counters.falseAlarms++;
      return FaultResolution.FIXED; // a false alarm: the entry changed since the hardware's walk
    }
    long entry = walk.entry(1);
    if (walk.stopLevel() != 1 || !MagicEntries.isMagic(entry)) {
      return null;
    }
    if (outOfSync.inOutOfSyncTable(walk.entryAddress(1))) {
      return null; // the guest may have changed the entry since: a TLB never caches not-present
    }
    if (MagicEntries.isGuestNotPresent(entry)) {
      int code = MagicEntries.guestNotPresentErrorCode(fault.errorCode(), fault.vcpu().regs());
      if (config.has(SeededBug.GNP_KEEPS_PRESENT)) {
        code |= PfErrorCode.P;
      } else if (config.has(SeededBug.GNP_KEEPS_RSVD)) {
        code |= PfErrorCode.RSVD;
      } else if (config.has(SeededBug.GNP_KEEPS_FETCH)) {
        code |= fault.errorCode() & PfErrorCode.ID;
      }
      counters.fastNotPresent++;
      return FaultResolution.ending(OpResult.of(AccessOutcome.guestFault(code, fault.va()), 0), false);
    }
    if (!MagicEntries.isMmio(entry)) {
      return null; // the tag without either marker's form: no entry this engine made
    }
    if (!config.has(SeededBug.MMIO_IGNORES_RIGHTS)
        && !Walker.permitted(walk.user(), walk.writable(), walk.noExecute(), fault.access(), fault.vcpu().regs())) {
      return null; // the guest's own protection fault: the full handler finds its error code
    }
    long gfn = MagicEntries.mmioGfn(entry) + (config.has(SeededBug.MMIO_WRONG_GFN) ? 1 : 0);
    @Gpa long gpa = Addr.gpaOf(Addr.gfn(gfn), Addr.pageOffset(fault.va()));
    counters.fastMmio++;
    return FaultResolution.ending(
        OpResult.of(NativeMmu.physicalOutcome(guest.physical(), gpa, fault.access()), 0), false);
  }

  /** Whether this engine makes markers at all (so a device frame's markers may need finding). */
  boolean makesMarkers() {
    return usable;
  }

  /** Whether leaves of {@code type} may be magic markers: a table's own l1es, in 64-bit entries. */
  boolean magicFor(ShadowType type) {
    return usable && type.role() == ShadowType.Role.TABLE && type.mode().format() == ShadowFormat.LONG_64;
  }

  /**
   * The marker a leaf derived as {@code source} becomes (with {@code leaf} filled when it is
   * {@code MAPPED}), or 0 when it gets none: guest-not-present for a guest l1e that is not
   * present, MMIO for one the marker may stand for.
   */
  long markerFor(Derivation.Source source, Derivation.Leaf leaf, boolean nxe) {
    if (source != Derivation.Source.MAPPED) {
      boolean notPresent = source == Derivation.Source.GUEST_NOT_PRESENT || config.has(SeededBug.MAGIC_FOR_RESERVED);
      return notPresent ? MagicEntries.GUEST_NOT_PRESENT : 0;
    }
    return isMmioMarkable(leaf.guestLeaf(), leaf.gfn(), nxe) ? MagicEntries.encodeMmio(leaf.gfn()) : 0;
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
}
