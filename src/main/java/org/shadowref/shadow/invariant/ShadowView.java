package org.shadowref.shadow.invariant;

import java.util.List;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.arch.ControlRegisters;
import org.shadowref.arch.CpuModel;
import org.shadowref.shadow.GuestMachine;

/**
 * A read-only inspection of a shadowing engine, enough for the invariant predicates to judge the
 * whole machine: guest memory and P2M, the shadow index and tables, the registers the hardware
 * walks them with, and the engine's own account of write protection and reference counts.
 * Shadow entries are read from {@code guest().machine()}.
 */
public interface ShadowView {
  GuestMachine guest();

  /** The CPU model the hardware walks the shadows with. */
  CpuModel hostCpu();

  /** The registers the hardware runs vCPU {@code vcpu} with: CR3 is the shadow root. */
  ControlRegisters hardwareRegs(int vcpu);

  /** Every shadow table, in index order. */
  List<ShadowTable> shadowTables();

  /** The shadow table owning machine frame {@code mfn}, or null. */
  @Nullable ShadowTable tableAt(long mfn);

  /** The top-level shadow vCPU {@code vcpu} runs on. */
  @Nullable ShadowTable rootOf(int vcpu);

  /** Whether machine frame {@code mfn} holds a guest page table that is shadowed. */
  boolean isShadowedFrame(long mfn);

  /**
   * The propagation of the current guest state into entry {@code index} of frame {@code part} of
   * {@code table}: what the entry must be if present.
   */
  long derivedEntry(ShadowTable table, int part, int index);

  /**
   * Whether the engine's configuration switches the reserved-bit fast path on (magic l1 entries).
   * Whether the host can carry the markers is the specification's to judge, not the engine's: where
   * it can, a device access through a guest l1e a marker can stand for leaves the MMIO marker
   * behind, so that the next access is answered without a guest walk (progress).
   */
  default boolean magicEntriesOn() {
    return false;
  }

  /** The faults the handler resolved during the last operation applied (the progress check reads it). */
  HandlerLog handlerLog();

  /**
   * Whether {@code table} shadows a guest l1 table that is out of sync: the guest may write it
   * directly, so its entries may lag the guest's by what a TLB may hold (INV-OOS). Engines
   * without out-of-sync shadows keep every table in sync.
   */
  default boolean isOutOfSync(ShadowTable table) {
    return false;
  }

  /**
   * Whether a resync of out-of-sync {@code table} would leave entry {@code index} of frame
   * {@code part} as it is: its guest word equals the snapshot taken when the table went out of
   * sync and no write of the entry was noted since. Such an entry must already be the
   * propagation of its guest entry (INV-OOS). False for tables in sync.
   */
  default boolean resyncSkips(ShadowTable table, int part, int index) {
    return false;
  }

  /** Whether log-dirty mode keeps writes to guest frame {@code gfn} from the hardware this round. */
  default boolean logDirtyProtects(long gfn) {
    return false;
  }

  /** Whether guest frame {@code gfn} is in the dirty log. */
  default boolean loggedDirty(long gfn) {
    return false;
  }

  /**
   * The guest as it was at the last clean of the dirty log (ghost state kept for INV-LOG-DIRTY),
   * or null when log-dirty mode is off.
   */
  default @Nullable GuestMachine logDirtyBaseline() {
    return null;
  }
}
