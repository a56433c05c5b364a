package org.shadowref.emulate;

import org.shadowref.mmu.AccessOutcome;

/** Raised by the operand stage when a translation stops the instruction (#PF or an exit). */
final class MemoryStop extends StacklessException {
  private static final long serialVersionUID = 1L;

  final transient AccessOutcome outcome;

  MemoryStop(AccessOutcome outcome) {
    // No stack trace and no message text up front: every shadow fault inside an instruction
    // raises one, and only a reader of the exception needs the words.
    super(null);
    this.outcome = outcome;
  }

  @Override
  public String getMessage() {
    return outcome.toString();
  }
}
