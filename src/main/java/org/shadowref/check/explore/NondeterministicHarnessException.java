package org.shadowref.check.explore;

/** A harness answered differently to the same choices: its search and traces cannot be trusted. */
public final class NondeterministicHarnessException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public NondeterministicHarnessException(String message) {
    super(message);
  }
}
