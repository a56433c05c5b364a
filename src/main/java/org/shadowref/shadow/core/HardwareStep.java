package org.shadowref.shadow.core;

import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.arch.PfErrorCode;
import org.shadowref.shadow.OpResult;

/**
 * What the hardware did with one access on the shadows: completed it (the data access is done),
 * or raised #PF into the engine with an error code.
 */
public record HardwareStep(@Nullable OpResult completed, int errorCode) {
  public static HardwareStep done(OpResult result) {
    return new HardwareStep(result, 0);
  }

  public static HardwareStep fault(int errorCode) {
    return new HardwareStep(null, errorCode);
  }

  public boolean faulted() {
    return completed == null;
  }

  @Override
  public String toString() {
    return completed == null ? "#PF " + PfErrorCode.describe(errorCode) : "done " + completed;
  }
}
