package org.shadowref.emulate;

import org.shadowref.mmu.AccessOutcome;

/** Raised by the operand stage when a translation stops the instruction (#PF or an exit). */
final class MemoryStop extends Exception {
  private static final long serialVersionUID = 1L;

  final transient AccessOutcome outcome;

  MemoryStop(AccessOutcome outcome) {
    super(outcome.toString(), null, false, false);
    this.outcome = outcome;
  }
}
