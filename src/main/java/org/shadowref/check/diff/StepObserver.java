package org.shadowref.check.diff;

import java.util.List;
import org.shadowref.check.invariants.ShadowScan;
import org.shadowref.shadow.GuestOp;
import org.shadowref.shadow.OpResult;
import org.shadowref.shadow.Platform;

/**
 * Watches a lock-step run from outside (for input-space coverage): the platforms once built, each
 * operation before and after the platforms apply it, and each engine reading the invariants were
 * judged on. It must not change any platform; it sees native first.
 */
public interface StepObserver {
  /** Watches nothing. */
  StepObserver NONE = new StepObserver() {};

  /** A fresh set of platforms (native first) is about to run a guest. */
  default void started(List<Platform> platforms) {}

  /** {@code op} is about to be applied; every platform still shows the state before it. */
  default void before(GuestOp op) {}

  /** {@code op} was applied everywhere; native returned {@code oracle}. */
  default void after(GuestOp op, OpResult oracle) {}

  /** The invariants of {@code engine} were judged on {@code scan} after the last operation. */
  default void judged(Platform engine, ShadowScan scan) {}
}
