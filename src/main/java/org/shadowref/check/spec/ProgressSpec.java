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
 *       UNMAPPED_GFN}).
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
      return ending.equals(last) ? null
          : "native ends it with " + nativeResult.status() + ", so the handler must end with " + ending + ": " + log;
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
