package org.shadowref.emulate;

import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.mmu.AccessOutcome;

/**
 * How an instruction ended: done, stopped by a memory access (a #PF to inject or an exit to the
 * device model, carried as the access's outcome), or outside what the executor handles.
 *
 * @param length the instruction's length in bytes, when it was decoded (else 0)
 * @param stop the outcome of the access that stopped it, for {@link Kind#MEMORY_STOP}
 * @param reason a human-readable reason, for {@link Kind#UNHANDLEABLE}
 */
public record EmulationResult(Kind kind, int length, @Nullable AccessOutcome stop, String reason) {
  public enum Kind {
    DONE,
    MEMORY_STOP,
    UNHANDLEABLE
  }

  public static EmulationResult done(int length) {
    return new EmulationResult(Kind.DONE, length, null, "");
  }

  public static EmulationResult memoryStop(int length, AccessOutcome stop) {
    return new EmulationResult(Kind.MEMORY_STOP, length, stop, "");
  }

  public static EmulationResult unhandleable(int length, String reason) {
    return new EmulationResult(Kind.UNHANDLEABLE, length, null, reason);
  }

  @Override
  public String toString() {
    switch (kind) {
      case DONE:
        return "done (" + length + " bytes)";
      case MEMORY_STOP:
        return "stopped: " + stop;
      default:
        return "unhandleable: " + reason;
    }
  }
}
