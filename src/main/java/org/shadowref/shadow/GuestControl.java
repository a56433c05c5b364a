package org.shadowref.shadow;

import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.arch.ControlRegisters;
import org.shadowref.emulate.CpuState;

/**
 * How a {@link GuestOp.SetControl} or {@link GuestOp.LoadCr3} changes a vCPU, shared by every
 * platform so that they cannot disagree on it: the register values, the combinations the CPU
 * refuses with #GP, and the instruction mode that follows EFER.LMA.
 */
public final class GuestControl {
  private GuestControl() {}

  /** Why the CPU would refuse these control values (#GP), or null when it accepts them. */
  public static @Nullable String refusal(long cr0, long cr4, long efer) {
    boolean paging = (cr0 & ControlRegisters.CR0_PG) != 0;
    if (paging && (cr0 & ControlRegisters.CR0_PE) == 0) {
      return "CR0.PG without CR0.PE";
    }
    if (paging && (efer & ControlRegisters.EFER_LME) != 0 && (cr4 & ControlRegisters.CR4_PAE) == 0) {
      return "CR0.PG with EFER.LME needs CR4.PAE";
    }
    return null;
  }

  /**
   * Applies the control values to {@code vcpu} (keeping CR3); null, or the #GP reason. EFER.LMA
   * is the CPU's, not the guest's: it is set exactly when EFER.LME and CR0.PG are, whatever the
   * operation says, and the instruction mode follows it.
   */
  public static @Nullable String apply(Vcpu vcpu, GuestOp.SetControl op) {
    String refusal = refusal(op.cr0(), op.cr4(), op.efer());
    if (refusal != null) {
      return refusal;
    }
    boolean longMode = (op.efer() & ControlRegisters.EFER_LME) != 0 && (op.cr0() & ControlRegisters.CR0_PG) != 0;
    long efer = longMode ? op.efer() | ControlRegisters.EFER_LMA : op.efer() & ~ControlRegisters.EFER_LMA;
    ControlRegisters old = vcpu.regs();
    vcpu.setRegs(new ControlRegisters(op.cr0(), old.cr3(), op.cr4(), efer, op.rflags()));
    vcpu.cpu().setMode(longMode ? CpuState.Mode.LONG_64 : CpuState.Mode.PROTECTED_32);
    return null;
  }

  public static void loadCr3(Vcpu vcpu, GuestOp.LoadCr3 op) {
    vcpu.setRegs(vcpu.regs().withCr3(op.cr3()));
  }
}
