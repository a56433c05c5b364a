package org.shadowref.shadow.core;

import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.shadow.OpResult;

/**
 * The page-fault handler's answer (Xen's {@code EXCRET_fault_fixed} / 0, made explicit).
 *
 * @param result what the guest observes, for the kinds that end the operation
 * @param instructionBytes for an instruction block the handler ran itself: how many of its bytes
 *     it completed (the faulting instruction, and perhaps the ones after it), the block going on
 *     from there; 0 otherwise
 */
public record FaultResolution(Kind kind, @Nullable OpResult result, int instructionBytes) {
  public enum Kind {
    /** The shadows now allow the access: retry it. */
    FIXED,
    /** The guest's own tables fault: inject #PF with the result's error code and CR2. */
    INJECT,
    /** The access goes to the device model at the result's guest-physical address. */
    MMIO,
    /** The guest frame has nothing behind it. */
    UNMAPPED_GFN,
    /**
     * The engine performed the access or instruction itself: the operation is done, or for an
     * instruction that completed, the block goes on after it.
     */
    EMULATED,
    /** Not the shadow code's fault: taken while this vCPU held the shadow lock. */
    NOT_SHADOW_FAULT
  }

  public static final FaultResolution FIXED = new FaultResolution(Kind.FIXED, null, 0);
  public static final FaultResolution NOT_SHADOW_FAULT = new FaultResolution(Kind.NOT_SHADOW_FAULT, null, 0);

  /** The handler ran the first {@code bytes} of the faulting block (one or more whole instructions). */
  public static FaultResolution instructionsDone(int bytes) {
    if (bytes <= 0) {
      throw new IllegalArgumentException("an instruction is at least one byte, got " + bytes);
    }
    return new FaultResolution(Kind.EMULATED, OpResult.DONE, bytes);
  }

  /** The resolution that ends an operation with {@code result}. */
  public static FaultResolution ending(OpResult result, boolean emulated) {
    if (emulated) {
      return new FaultResolution(Kind.EMULATED, result, 0);
    }
    switch (result.status()) {
      case GUEST_FAULT:
        return new FaultResolution(Kind.INJECT, result, 0);
      case MMIO:
        return new FaultResolution(Kind.MMIO, result, 0);
      case UNMAPPED_GFN:
        return new FaultResolution(Kind.UNMAPPED_GFN, result, 0);
      default:
        return new FaultResolution(Kind.EMULATED, result, 0);
    }
  }

  /** The result the operation ends with; only for kinds other than FIXED and NOT_SHADOW_FAULT. */
  public OpResult outcome() {
    if (result == null) {
      throw new IllegalStateException(kind + " does not end the operation");
    }
    return result;
  }

  @Override
  public String toString() {
    String bytes = instructionBytes == 0 ? "" : " (" + instructionBytes + " instruction bytes)";
    return (result == null ? kind.toString() : kind + " " + result) + bytes;
  }
}
