package org.shadowref.cli;

/** Input the user gave us is wrong: reported as one clear message, exit code 2, no stack trace. */
public final class UserInputException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public UserInputException(String message) {
    super(message);
  }
}
