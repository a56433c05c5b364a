package org.shadowref.check.explore;

import java.util.ArrayList;
import java.util.List;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.shadow.GuestOp;
import org.shadowref.shadow.OpResult;

/**
 * The explorer's {@link Events}: during search it keeps coverage, the first violation and the
 * skip flag; while replaying a trace it also keeps the operations and notes.
 */
final class SearchEvents implements Events {
  private final @Nullable Coverage coverage;
  private final boolean tracing;
  boolean skipped;
  @Nullable String violatedProperty;
  String violationDetail = "";
  final List<GuestOp> ops = new ArrayList<>();
  final List<OpResult> results = new ArrayList<>();
  final List<String> notes = new ArrayList<>();

  SearchEvents(@Nullable Coverage coverage, boolean tracing) {
    this.coverage = coverage;
    this.tracing = tracing;
  }

  void reset() {
    skipped = false;
    violatedProperty = null;
    violationDetail = "";
    if (tracing) {
      ops.clear();
      results.clear();
      notes.clear();
    }
  }

  @Override
  public boolean tracing() {
    return tracing;
  }

  @Override
  public void op(GuestOp op, OpResult result) {
    if (tracing) {
      ops.add(op);
      results.add(result);
      notes.add(op + "  ->  " + result);
    }
  }

  @Override
  public void note(String text) {
    if (tracing) {
      notes.add(text);
    }
  }

  @Override
  public void cover(String label) {
    if (coverage != null) {
      coverage.hit(label);
    }
  }

  @Override
  public void violation(String property, String detail) {
    if (violatedProperty == null) {
      violatedProperty = property;
      violationDetail = detail;
    }
  }

  @Override
  public void skip() {
    skipped = true;
  }
}
