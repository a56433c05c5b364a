package org.shadowref.emulate;

import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * An exception that ends an instruction (a #PF or exit, a refusal), not one that reports a bug:
 * it records no stack trace, which would cost more than the instruction. Done by overriding
 * {@link #fillInStackTrace} rather than with the four-argument {@code Throwable} constructor,
 * which Java PathFinder's model of {@code Throwable} lacks (issue 17).
 */
abstract class StacklessException extends Exception {
  private static final long serialVersionUID = 1L;

  StacklessException(@Nullable String message) {
    super(message);
  }

  @Override
  public final Throwable fillInStackTrace() {
    return this;
  }
}
