package org.shadowref.shadow.core;

import org.shadowref.arch.Access;
import org.shadowref.arch.AccessKind;
import org.shadowref.arch.ControlRegisters;
import org.shadowref.arch.PfErrorCode;
import org.shadowref.arch.qual.Gva;
import org.shadowref.mmu.AccessOutcome;
import org.shadowref.mmu.MutableOutcome;
import org.shadowref.shadow.GuestOp;
import org.shadowref.shadow.Vcpu;

/**
 * One shadow page fault as the handler comes to know it, in the spirit of KVM's {@code struct
 * kvm_page_fault}: the vCPU and the address, the access the error code decodes to (once, by
 * {@link PfErrorCode#access}), the operation at RIP that the handler emulates when it must, whether
 * the CPU was delivering an event, and, once the handler has walked the guest's tables, where the
 * access lands for the guest ({@link #target}).
 *
 * <p>Filled in as the handler learns, as KVM's is: the reference engine makes one per fault; the
 * optimized engine refills one it keeps ({@link #refill}), since the handler runs one fault at a
 * time under the shadow lock and its fault path allocates nothing.
 */
public final class Fault {
  private Vcpu vcpu;
  private @Gva long va;
  private int errorCode;
  private Access access;
  private GuestOp op;
  private boolean duringEventInjection;
  private final MutableOutcome target = new MutableOutcome();

  /**
   * @param hardware the registers of the walk that faulted (the shadows' hardware registers)
   * @param op the operation the fault hit, standing for the instruction at RIP
   */
  public Fault(Vcpu vcpu, @Gva long va, int errorCode, ControlRegisters hardware, GuestOp op,
      boolean duringEventInjection) {
    this.vcpu = vcpu;
    this.va = va;
    this.errorCode = errorCode;
    this.access = decode(errorCode, hardware, op);
    this.op = op;
    this.duringEventInjection = duringEventInjection;
  }

  /** Makes this the fault just raised, as {@link #Fault} would; the target is not walked yet. */
  public Fault refill(Vcpu newVcpu, @Gva long newVa, int newErrorCode, ControlRegisters hardware, GuestOp newOp,
      boolean newDuringEventInjection) {
    vcpu = newVcpu;
    va = newVa;
    errorCode = newErrorCode;
    access = decode(newErrorCode, hardware, newOp);
    op = newOp;
    duringEventInjection = newDuringEventInjection;
    target.set(AccessOutcome.Kind.OK, 0, 0);
    return this;
  }

  /** Where the CPU does not report fetches, the operation at RIP tells a fetch from a read. */
  private static Access decode(int errorCode, ControlRegisters hardware, GuestOp op) {
    boolean fetchAtRip = op instanceof GuestOp.MemoryAccess memoryAccess && memoryAccess.kind() == AccessKind.FETCH;
    return PfErrorCode.access(errorCode, hardware, fetchAtRip);
  }

  public Vcpu vcpu() {
    return vcpu;
  }

  public @Gva long va() {
    return va;
  }

  public int errorCode() {
    return errorCode;
  }

  public Access access() {
    return access;
  }

  /** The faulting operation: the instruction at RIP, or a plain access. */
  public GuestOp op() {
    return op;
  }

  /** Whether the CPU was delivering an event: the instruction at RIP did not fault, so it must not be emulated. */
  public boolean duringEventInjection() {
    return duringEventInjection;
  }

  /** Where the access lands for the guest: filled by the handler's guest walk ({@link GuestSide#walk}). */
  public MutableOutcome target() {
    return target;
  }
}
