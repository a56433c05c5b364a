package org.shadowref.emulate;

/**
 * Raised inside the emulator when an instruction is outside what it handles or would raise an
 * exception other than #PF (#UD, #GP): the emulator turns it into an UNHANDLEABLE result before
 * anything is written, so it never escapes.
 */
final class Refusal extends StacklessException {
  private static final long serialVersionUID = 1L;

  private final String reason;

  Refusal(String reason) {
    super(reason);
    this.reason = reason;
  }

  String reason() {
    return reason;
  }
}
