package org.shadowref.check.explore;

import java.util.ArrayList;
import java.util.List;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.check.trace.TraceFile;
import org.shadowref.check.trace.GuestSnapshot;
import org.shadowref.shadow.GuestOp;
import org.shadowref.shadow.OpResult;

/**
 * A path through a model from an initial state to a violation, rebuilt by replaying the
 * harness: the answers each step received, what it did, and the guest it started from.
 */
public final class Trace {
  /**
   * One step: the answers its choices received, and the operations, results and notes it
   * reported. Step 0 builds the initial state.
   */
  public record Step(int[] choices, List<String> notes, List<GuestOp> ops, List<OpResult> results) {
    public Step {
      choices = choices.clone();
      notes = List.copyOf(notes);
      ops = List.copyOf(ops);
      results = List.copyOf(results);
    }

    @Override
    public int[] choices() {
      return choices.clone();
    }
  }

  private final List<Step> steps;
  private final @Nullable GuestSnapshot world;
  private final String property;
  private final String detail;

  Trace(List<Step> steps, @Nullable GuestSnapshot world, String property, String detail) {
    this.steps = List.copyOf(steps);
    this.world = world;
    this.property = property;
    this.detail = detail;
  }

  /** The steps, the initial one first. */
  public List<Step> steps() {
    return steps;
  }

  /** Transitions after the initial state: the trace's length. */
  public int length() {
    return steps.size() - 1;
  }

  public String property() {
    return property;
  }

  /** Every operation of every step, in order. */
  public List<GuestOp> ops() {
    List<GuestOp> ops = new ArrayList<>();
    for (Step step : steps) {
      ops.addAll(step.ops());
    }
    return ops;
  }

  /** The trace as a file: the world and operations, their results, and how to replay it in the model. */
  public TraceFile toFile(String model, String args) {
    List<OpResult> results = new ArrayList<>();
    List<int[]> choices = new ArrayList<>();
    for (Step step : steps) {
      results.addAll(step.results());
      choices.add(step.choices());
    }
    List<GuestOp> ops = ops();
    return new TraceFile(
        world, ops, ops.isEmpty() ? null : results,
        new TraceFile.Origin(model, args, property, detail, choices));
  }

  /** The trace for a reader, one step per paragraph. */
  public String render() {
    StringBuilder out = new StringBuilder();
    out.append("violation: ").append(property).append('\n');
    if (!detail.isEmpty()) {
      out.append("  ").append(detail).append('\n');
    }
    out.append("trace (").append(length()).append(length() == 1 ? " step" : " steps").append(" after the initial state):\n");
    for (int i = 0; i < steps.size(); i++) {
      Step step = steps.get(i);
      out.append(i == 0 ? "  initial" : String.format("  step %d", i));
      out.append("  choices=").append(java.util.Arrays.toString(step.choices())).append('\n');
      for (String note : step.notes()) {
        out.append("      ").append(note).append('\n');
      }
    }
    return out.toString();
  }

  @Override
  public String toString() {
    return render();
  }
}
