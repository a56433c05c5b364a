package org.shadowref.shadow;

/**
 * A machine that runs a guest: the native CPU (the oracle), the reference shadow engine, the
 * optimized shadow engine. All three take the same operations and must show the guest the same
 * results and the same guest memory.
 */
public interface Platform {
  /** {@code native}, {@code reference} or {@code optimized}. */
  String name();

  /** Performs one operation to completion, as the guest sees it. */
  OpResult apply(GuestOp op);

  /** The state the guest can observe: its RAM (through the P2M) and its vCPUs. */
  GuestMachine guest();

  /** An independent copy of the whole platform state (for forking worlds and exploration). */
  Platform copy();

  /** A hash of the whole platform state, equal for equal states (for state matching). */
  long fingerprint();
}
