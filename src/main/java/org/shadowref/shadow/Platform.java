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

  /**
   * Performs one operation exactly as {@link #apply} does and returns {@link OpResult#digest()}
   * of its result instead of the result. Timing loops use it, so that building the record an
   * observer reads is not timed as part of the engine; an engine may serve it without allocating.
   */
  default long perform(GuestOp op) {
    return apply(op).digest();
  }

  /** The state the guest can observe: its RAM (through the P2M) and its vCPUs. */
  GuestMachine guest();

  /** An independent copy of the whole platform state (for forking worlds and exploration). */
  Platform copy();

  /** A hash of the whole platform state, equal for equal states (for state matching). */
  long fingerprint();
}
