package org.shadowref.check.trace;

import java.util.List;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.shadow.GuestOp;
import org.shadowref.shadow.OpResult;

/**
 * The project's one trace format: a guest ({@link GuestSnapshot}) and the operations run on it, with
 * the results they are expected to give when known. The differential tests replay them on every
 * platform; the explorer writes its counterexamples in it, adding where they came from.
 *
 * @param world the guest the operations start on; may be absent only when there are no
 *     operations (a trace of an abstract model, replayable through its choices)
 * @param ops the operations, in order
 * @param expected the result of each operation, or null when not recorded
 * @param origin how the trace was found, or null for hand-written traces
 */
public record TraceFile(
    @Nullable GuestSnapshot world, List<GuestOp> ops, @Nullable List<OpResult> expected, @Nullable Origin origin) {

  /**
   * Where an explored trace came from: the model, its arguments, the broken property, and the
   * answers given to the model's choices at each step (the first list builds the initial state),
   * which replay the trace inside the model.
   */
  public record Origin(String model, String args, String property, String detail, List<int[]> choices) {
    public Origin {
      choices = List.copyOf(choices);
    }
  }

  public TraceFile {
    if (world == null && !ops.isEmpty()) {
      throw new IllegalArgumentException("a trace with operations needs a world");
    }
    if (expected != null && expected.size() != ops.size()) {
      throw new IllegalArgumentException(
          "expected has " + expected.size() + " results for " + ops.size() + " operations");
    }
    if (world != null) {
      for (GuestOp op : ops) {
        if (op.vcpu() < 0 || op.vcpu() >= world.vcpus().size()) {
          throw new IllegalArgumentException(
              "operation '" + op + "' names vcpu " + op.vcpu() + " but the world has " + world.vcpus().size());
        }
      }
    }
    ops = List.copyOf(ops);
    expected = expected == null ? null : List.copyOf(expected);
  }
}
