package org.shadowref.check.explore;

import org.shadowref.shadow.GuestOp;
import org.shadowref.shadow.OpResult;

/**
 * What a harness tells whoever runs it about one step (or one check): the guest operations it
 * performed, the coverage labels it reached, the properties it found violated, or that the
 * choices made do not form a transition at all.
 *
 * <p>During search nothing but coverage, violations and skips is kept, so {@link #op} and {@link
 * #note} cost nothing there; build a note's text only when {@link #tracing()} is true.
 */
public interface Events {
  /** True while a trace is being replayed for display: notes are wanted. */
  boolean tracing();

  /** The step performed {@code op}, and the guest saw {@code result}: the trace's content. */
  void op(GuestOp op, OpResult result);

  /** A line of explanation for the readable trace. */
  void note(String text);

  /** The step reached the case {@code label} (a handler branch, a fault kind, ...). */
  void cover(String label);

  /** The property {@code property} does not hold; {@code detail} says how, for a reader. */
  void violation(String property, String detail);

  /**
   * The choices made so far do not describe a transition (an operation not enabled in this
   * state): the step is dropped and its state discarded. Return from the step after calling it.
   */
  void skip();
}
