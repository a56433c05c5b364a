package org.shadowref.mmu;

/**
 * An {@link AccessOutcome} under construction, for a fault path that must not allocate: the
 * handler fills one per engine and makes the immutable record ({@link #freeze}) only on the
 * paths that end with an answer for the guest.
 */
public final class MutableOutcome {
  private AccessOutcome.Kind kind = AccessOutcome.Kind.UNMAPPED_GFN;
  private long address;
  private int errorCode;

  public void set(AccessOutcome.Kind newKind, long newAddress, int newErrorCode) {
    kind = newKind;
    address = newAddress;
    errorCode = newErrorCode;
  }

  public AccessOutcome.Kind kind() {
    return kind;
  }

  /** As {@link AccessOutcome#address}. */
  public long address() {
    return address;
  }

  public int errorCode() {
    return errorCode;
  }

  public boolean isOk() {
    return kind == AccessOutcome.Kind.OK;
  }

  public AccessOutcome freeze() {
    return new AccessOutcome(kind, address, errorCode);
  }
}
