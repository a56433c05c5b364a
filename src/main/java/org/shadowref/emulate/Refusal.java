package org.shadowref.emulate;

/**
 * Raised inside the emulator when an instruction is outside what it handles or would raise an
 * exception other than #PF (#UD, #GP): the emulator turns it into an UNHANDLEABLE result before
 * anything is written, so it never escapes.
 */
final class Refusal extends Exception {
  private static final long serialVersionUID = 1L;

  private final String reason;

  Refusal(String reason) {
    super(reason);
    this.reason = reason;
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

  String reason() {
    return reason;
  }
}
