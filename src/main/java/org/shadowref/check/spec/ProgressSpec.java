package org.shadowref.check.spec;

import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.arch.Access;
import org.shadowref.arch.AccessKind;
import org.shadowref.arch.Addr;
import org.shadowref.arch.ControlRegisters;
import org.shadowref.arch.EntryBits;
import org.shadowref.arch.PagingMode;
import org.shadowref.memory.P2m;
import org.shadowref.memory.P2mType;
import org.shadowref.mmu.GuestTables;
import org.shadowref.mmu.MachineTables;
import org.shadowref.mmu.WalkResult;
import org.shadowref.mmu.Walker;
import org.shadowref.shadow.GuestMachine;
import org.shadowref.shadow.GuestOp;
import org.shadowref.shadow.OpResult;
import org.shadowref.shadow.invariant.HandlerLog;
import org.shadowref.shadow.invariant.ShadowView;

/**
 * Progress, as a decision table independent of the engines: how the page-fault handler may
 * resolve the faults of one operation, given what the guest's own walk (the native MMU on the
 * guest's tables, before the operation), the P2M and the shadowed page tables say about it.
 *
 * <ul>
 *   <li>No access faults twice for the same reason: a fault resolved {@code FIXED} is never
 *       followed, for the same address, by a fault with the same error code (the retry must get
 *       further in hardware).
 *   <li>An access native refuses ends with the matching resolution: a guest fault is injected
 *       ({@code INJECT}), a device access exits ({@code MMIO}), a hole is reported ({@code
 *       UNMAPPED_GFN}). In an engine that makes magic entries, a device access through a guest
 *       l1e the MMIO marker can stand for leaves that marker in the shadow l1e.
 *   <li>An access native completes must be emulated ({@code EMULATED}) exactly when the shadows
 *       cannot express it: a supervisor write through a read-only translation with the guest's
 *       CR0.WP clear (the hardware runs with WP set), or a guest entry on the walk whose A bit
 *       (or the leaf's D bit, for a write) is clear and cannot be set because its table is not
 *       writable RAM or lies in the PAE PDPT (a shadow entry needs the guest's bit set first). It may also be emulated
 *       when it is a write to a shadowed guest page table. Anything else must be fixed: the
 *       handler builds the shadow entry and the retry completes in hardware, with no emulation.
 * </ul>
 *
 * Instructions ({@link GuestOp.Execute}) make several accesses whose native outcomes the step
 * does not report; only the first rule is asked of them.
 */
public final class ProgressSpec {
  /** The offset bits of an address within a PAE PDPT's 32 bytes. */
  private static final long PDPT_OFFSET_MASK = 0x1F;

  private final WalkResult walk = new WalkResult();
  /** For the last {@link #before}: whether it is a plain access, and the table's facts about it. */
  private boolean memoryAccess;
  private @Nullable String mustEmulate;
  private boolean writeAccess;

  /**
   * Reads what the table needs from {@code guest} before {@code op} runs (the native platform's
   * guest: every platform's guest is the same before a step).
   */
  public void before(GuestMachine guest, GuestOp op) {
    memoryAccess = false;
    mustEmulate = null;
    writeAccess = false;
    if (!(op instanceof GuestOp.MemoryAccess access)) {
      return;
    }
    memoryAccess = true;
    writeAccess = access.kind() == AccessKind.WRITE;
    ControlRegisters regs = guest.vcpu(op.vcpu()).regs();
    if (!regs.pagingEnabled()) {
      return; // the 1:1 map expresses every access to RAM
    }
    Walker.walk(new GuestTables(guest.physical()), regs, guest.cpu(), access.va(), Access.of(access.kind(), access.user()),
        false, walk);
    if (!walk.ok()) {
      return;
    }
    if (writeAccess && !access.user() && !regs.wp() && !walk.writable()) {
      mustEmulate = "a supervisor write through a read-only translation with CR0.WP clear";
      return;
    }
    P2m p2m = guest.p2m();
    PagingMode mode = walk.mode();
    // PAE: the 32 bytes of the PDPT take no A/D update, even where a lower entry of the walk lies
    // among them (a PDPT frame reused as its own PD or PT; proofs/native-oracle.md).
    long pdpt = mode == PagingMode.PAE ? walk.entryAddress(3) & ~PDPT_OFFSET_MASK : -1;
    for (int level = mode.levels(); level >= walk.stopLevel(); level--) {
      if (mode == PagingMode.PAE && level == 3) {
        continue; // PDPTEs have no A bit
      }
      long entry = walk.entry(level);
      boolean needsBit = (entry & EntryBits.A) == 0 || (writeAccess && level == walk.stopLevel() && (entry & EntryBits.D) == 0);
      if (needsBit && p2m.type(Addr.gfnOf(Addr.gpa(walk.entryAddress(level)))) != P2mType.RAM) {
        mustEmulate = "the guest's level-" + level + " entry needs its A or D bit set, and its table is not writable RAM";
        return;
      }
      if (needsBit && (walk.entryAddress(level) & ~PDPT_OFFSET_MASK) == pdpt) {
        mustEmulate = "the guest's level-" + level + " entry needs its A or D bit set, and it lies in the PAE PDPT";
        return;
      }
    }
  }

  /**
   * Why the faults {@code view} handled for {@code op} break the table, or null when they keep
   * it; {@code nativeResult} is what native returned for {@code op}, after {@link #before}.
   */
  public @Nullable String violation(GuestOp op, OpResult nativeResult, ShadowView view) {
    HandlerLog log = view.handlerLog();
    for (int i = 0; i + 1 < log.size(); i++) {
      if (log.kind(i).equals(FIXED) && log.va(i) == log.va(i + 1) && log.errorCode(i) == log.errorCode(i + 1)) {
        return "the fault at " + Addr.hex(log.va(i)) + " was FIXED and the retry faulted again for the same reason: " + log;
      }
    }
    if (!memoryAccess) {
      return null;
    }
    String last = log.size() == 0 ? null : log.kind(log.size() - 1);
    String ending = endingKind(nativeResult.status());
    if (ending != null) {
      if (!ending.equals(last)) {
        return "native ends it with " + nativeResult.status() + ", so the handler must end with " + ending + ": " + log;
      }
      return nativeResult.status() == OpResult.Status.MMIO ? missingMmioMarker((GuestOp.MemoryAccess) op, view) : null;
    }
    boolean emulated = false;
    for (int i = 0; i < log.size(); i++) {
      emulated |= log.kind(i).equals(EMULATED);
    }
    String required = mustEmulate;
    if (required != null) {
      return EMULATED.equals(last) ? null : "the shadows cannot express it (" + required + ") but it was not emulated: " + log;
    }
    if (!emulated) {
      return null;
    }
    if (writeAccess && nativeResult.status() == OpResult.Status.OK
        && new PropagationSpec(view, view.shadowTables(), view::tableAt).shadowedTable(nativeResult.address() >>> 12)) {
      return null; // a write to a shadowed page table
    }
    return "it was emulated where the shadows can express it (the handler must build the shadow entry and let the"
        + " retry complete in hardware): " + log;
  }

  /**
   * For an engine with the fast path on, on a host where the marker's tag is reserved: why the
   * device access {@code access} left no MMIO marker in its shadow l1e although the marker could
   * stand for the guest's l1e, or null. The marker (format: {@link MagicMarkers}) may stand for a
   * 4 KiB guest l1e mapping a device frame that grants every access and has A and D set (and every
   * directory entry above it accessed), so that the fast path need neither check its rights nor
   * set its bits; such an access must leave it, or every later access to the page takes the full
   * handler (a handler that does less work, which no result shows). Read after the operation:
   * native's walk may just have set the entries' A and D.
   */
  private @Nullable String missingMmioMarker(GuestOp.MemoryAccess access, ShadowView view) {
    GuestMachine guest = view.guest();
    ControlRegisters regs = guest.vcpu(access.vcpu()).regs();
    ControlRegisters hardware = view.hardwareRegs(access.vcpu());
    PagingMode hostMode = hardware.pagingMode();
    if (!view.magicEntriesOn() || !regs.pagingEnabled() || hostMode == null
        || !MagicMarkers.tagReserved(hostMode, view.hostCpu().maxPhysAddr())) {
      return null; // no markers: the host has no reserved bits for the tag (32-bit entries, a wide MAXPHYADDR)
    }
    Access rights = Access.of(access.kind(), access.user());
    Walker.walk(new GuestTables(guest.physical()), regs, guest.cpu(), access.va(), rights, false, walk);
    long l1e = walk.entry(1);
    long gfn = walk.translated() >>> 12;
    long grantsAll = EntryBits.P | EntryBits.RW | EntryBits.US | EntryBits.A | EntryBits.D;
    boolean markable = walk.ok() && walk.stopLevel() == 1 && (l1e & grantsAll) == grantsAll
        && !(regs.nxe() && (l1e & EntryBits.NX) != 0) && guest.p2m().type(Addr.gfn(gfn)) == P2mType.MMIO;
    for (int level = walk.mode().levels(); markable && level > 1; level--) {
      // A shadow directory entry needs its guest entry's A bit set (not settable where the table
      // is not writable RAM); PAE's PDPTEs have none.
      markable = (walk.mode() == PagingMode.PAE && level == 3) || (walk.entry(level) & EntryBits.A) != 0;
    }
    if (!markable) {
      return null;
    }
    Walker.walk(new MachineTables(guest.machine()), hardware, view.hostCpu(), access.va(), rights, false, walk);
    long shadowL1e = walk.stopLevel() == 1 ? walk.entry(1) : 0;
    if (walk.stopLevel() == 1 && MagicMarkers.isMmioMarker(shadowL1e) && MagicMarkers.mmioGfn(shadowL1e) == gfn) {
      return null;
    }
    return "the device access through guest l1e " + Addr.hex(l1e) + " (gfn " + Addr.hex(gfn) + ", it grants every access"
        + " and has A and D set) left no MMIO marker for it in the shadows (the shadow walk: " + walk.describe()
        + "), so every later access to the page takes the full handler: " + view.handlerLog();
  }

  private static final String FIXED = "FIXED";
  private static final String EMULATED = "EMULATED";

  /** The resolution an access native refuses must end with; null for accesses native completes. */
  private static @Nullable String endingKind(OpResult.Status status) {
    switch (status) {
      case GUEST_FAULT:
        return "INJECT";
      case MMIO:
        return "MMIO";
      case UNMAPPED_GFN:
        return "UNMAPPED_GFN";
      default:
        return null;
    }
  }
}
