package org.shadowref.check.gen;

import java.util.List;
import org.shadowref.check.trace.TraceFile;
import org.shadowref.check.trace.GuestSnapshot;
import org.shadowref.shadow.GuestOp;

/** A generated guest and the operations to run on it: one differential test case. */
public record GeneratedCase(GuestSnapshot world, List<GuestOp> ops) {
  public GeneratedCase {
    ops = List.copyOf(ops);
  }

  /** The same guest with other operations (for shrinking). */
  public GeneratedCase withOps(List<GuestOp> other) {
    return new GeneratedCase(world, other);
  }

  /** As a replayable trace, with how it was found. */
  public TraceFile toTrace(TraceFile.Origin origin) {
    return new TraceFile(world, ops, null, origin);
  }
}
