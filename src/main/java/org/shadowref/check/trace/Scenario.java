package org.shadowref.check.trace;

import java.util.List;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.arch.Addr;
import org.shadowref.arch.PfErrorCode;
import org.shadowref.shadow.GuestOp;
import org.shadowref.shadow.OpResult;

/**
 * A hand-written scenario: a guest described readably (mappings, raw entries, P2M), the steps it
 * takes, and what each step is expected to do. It compiles to a {@link TraceFile}'s world and
 * operations, so everything that runs traces runs scenarios. Format: see {@link ScenarioReader}.
 *
 * @param handlerCase the case of the page-fault handler's flow the scenario exercises
 * @param expectations one per operation; {@link Expectation#ANYTHING} where the scenario expects
 *     nothing in particular
 */
public record Scenario(
    String name,
    String description,
    String handlerCase,
    GuestSnapshot world,
    List<GuestOp> ops,
    List<Expectation> expectations) {

  /** Checks one expectation slot per operation, and copies both lists. */
  public Scenario {
    if (expectations.size() != ops.size()) {
      throw new IllegalArgumentException("one expectation slot per operation");
    }
    ops = List.copyOf(ops);
    expectations = List.copyOf(expectations);
  }

  /** The trace this scenario runs as (no exact expected results: expectations are partial). */
  public TraceFile trace() {
    return new TraceFile(world, ops, null, null);
  }

  /**
   * What a step must do: its status, and optionally the address (machine address, CR2 or
   * guest-physical address, by status), the error code and the value read. Absent parts match
   * anything; {@link #ANYTHING} matches every result.
   */
  public record Expectation(
      OpResult.@Nullable Status status, @Nullable Long address, @Nullable Integer errorCode, @Nullable Long value) {
    /** The expectation of a step that states none: every result meets it. */
    public static final Expectation ANYTHING = new Expectation(null, null, null, null);

    /** True when no part is given (the step expects nothing). */
    public boolean isAnything() {
      return status == null && address == null && errorCode == null && value == null;
    }

    /** True when {@code result} has every part this expectation gives. */
    public boolean matches(OpResult result) {
      return (status == null || result.status() == status)
          && (address == null || address == result.address())
          && (errorCode == null || errorCode == result.errorCode())
          && (value == null || value == result.value());
    }

    @Override
    public String toString() {
      if (isAnything()) {
        return "anything";
      }
      StringBuilder out = new StringBuilder(status == null ? "any" : TraceWriter.statusName(status));
      if (errorCode != null) {
        out.append(" ec=").append(PfErrorCode.describe(errorCode));
      }
      if (address != null) {
        out.append(" addr=").append(Addr.hex(address));
      }
      if (value != null) {
        out.append(" value=").append(Addr.hex(value));
      }
      return out.toString();
    }
  }
}
