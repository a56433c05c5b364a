package org.shadowref.emulate;

import org.shadowref.mmu.AccessOutcome;

/** Raised by the operand stage when a translation stops the instruction (#PF or an exit). */
final class MemoryStop extends Exception {
  private static final long serialVersionUID = 1L;

  final transient AccessOutcome outcome;

  MemoryStop(AccessOutcome outcome) {
    // No stack trace and no message text up front: every shadow fault inside an instruction
    // raises one, and only a reader of the exception needs the words.
    super((String) null);
    this.outcome = outcome;
  }

  /**
   * No stack trace: these end instructions, they do not report bugs. (Overridden rather than
   * asked for through the four-argument constructor, which Java PathFinder's model of Throwable
   * lacks.)
   */
  @Override
  public Throwable fillInStackTrace() {
    return this;
  }

  @Override
  public String getMessage() {
    return outcome.toString();
  }
}
