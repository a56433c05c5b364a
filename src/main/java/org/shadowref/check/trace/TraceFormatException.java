package org.shadowref.check.trace;

/** A trace file that cannot be read: the message names the file, line, column and field. */
public final class TraceFormatException extends Exception {
  private static final long serialVersionUID = 1L;

  public TraceFormatException(String message) {
    super(message);
  }
}
