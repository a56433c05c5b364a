package org.shadowref.shadow;

import java.util.function.LongConsumer;

/**
 * A machine that runs a guest: the native CPU (the oracle), the reference shadow engine, the
 * optimized shadow engine. All three take the same operations and must show the guest the same
 * results and the same guest memory.
 */
public interface Platform extends Fingerprintable {
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

  /**
   * Makes {@code target}, a platform no longer needed, a copy of this one and returns it, as
   * {@link #copy()} would; model checkers overwrite discarded states instead of allocating new
   * ones. Platforms that can be overwritten in place do it when {@code target} is of their kind
   * and shape; the default allocates.
   */
  default Platform copyInto(Platform target) {
    return copy();
  }

  /** A 64-bit hash of the whole platform state, equal for equal states. */
  long fingerprint();

  /**
   * Feeds the whole platform state to {@code into} as words, canonically: equal states feed equal
   * words, and states that differ anywhere feed different words (frame contents as 128-bit
   * digests). Model checkers hash these words at 128 bits for state matching; the default feeds
   * the 64-bit {@link #fingerprint()}, for platforms no model explores.
   */
  @Override
  default void fingerprint(LongConsumer into) {
    into.accept(fingerprint());
  }
}
