package org.shadowref.check.explore;

import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.check.trace.GuestSnapshot;
import org.shadowref.shadow.GuestOp;
import org.shadowref.shadow.NativePlatform;
import org.shadowref.shadow.OpResult;
import org.shadowref.shadow.Platform;

/**
 * The skeleton of a differential model: a subclass says how the two platforms start and which
 * operation comes next; this class applies each operation to both, and reports a violation when
 * their results differ or when the guest could see any difference between them afterwards. The
 * trace file records the oracle's results as the expected ones, and the oracle's initial guest as
 * the world.
 *
 * <p>State matching hashes the words the platforms feed ({@link Platform#fingerprint(
 * java.util.function.LongConsumer)}): each must feed its whole state (engine shadows, lock and TLB
 * included), or the search will merge states that differ. A native oracle's whole state is its
 * guest, which every state matched has just been found to share with the system (the initial
 * states and every step check {@link #SAME_GUEST} before the explorer matches the state): its
 * words would repeat the system's, so only the system's are fed.
 */
public abstract class LockstepHarness implements Harness<Lockstep> {
  /** A step's operation returned the same result on both platforms. */
  public static final String SAME_RESULT = "the system gives every operation the oracle's result";
  /** After every step the guest sees the same memory and registers on both. */
  public static final String SAME_GUEST = "the guest sees the same memory and registers on both platforms";

  /** Builds both platforms on the same guest; choices may pick the guest. */
  protected abstract Lockstep start(Choices choices, Events events);

  /**
   * The next operation, chosen by {@code choices}, or null when the answers given describe no
   * operation enabled in this state (the step is then skipped).
   */
  protected abstract @Nullable GuestOp nextOp(Lockstep state, Choices choices, Events events);

  /**
   * Checks of the system's own state (the engine's invariants), in every new state. Coverage of
   * the system's internal cases also goes here or in {@link #afterOp}.
   */
  protected void checkSystem(Platform system, Events events) {}

  /** Called after both platforms performed {@code op} and agreed on {@code result}. */
  protected void afterOp(Lockstep state, GuestOp op, OpResult result, Events events) {}

  @Override
  public final Lockstep initial(Choices choices, Events events) {
    Lockstep state = start(choices, events);
    String difference = state.system().guest().firstGuestDifference(state.oracle().guest());
    if (difference != null) {
      events.violation(SAME_GUEST, "initially: " + difference);
    }
    return state;
  }

  @Override
  public final void step(Lockstep state, Choices choices, Events events) {
    GuestOp op = nextOp(state, choices, events);
    if (op == null) {
      events.skip();
      return;
    }
    OpResult actual = state.system().apply(op);
    OpResult expected = state.oracle().apply(op);
    events.op(op, expected);
    if (!actual.equals(expected)) {
      events.violation(SAME_RESULT, op + ": " + state.system().name() + " gave " + actual + ", "
          + state.oracle().name() + " gave " + expected);
      return;
    }
    String difference = state.system().guest().firstGuestDifference(state.oracle().guest());
    if (difference != null) {
      events.violation(SAME_GUEST, "after " + op + ": " + difference);
      return;
    }
    afterOp(state, op, expected, events);
  }

  @Override
  public final void check(Lockstep state, Events events) {
    checkSystem(state.system(), events);
  }

  @Override
  public final Lockstep copy(Lockstep state) {
    return state.copy();
  }

  @Override
  public final Lockstep copyInto(Lockstep source, Lockstep target) {
    return source.copyInto(target);
  }

  @Override
  public final void fingerprint(Lockstep state, Fingerprint into) {
    state.system().fingerprint(into);
    if (!(state.oracle() instanceof NativePlatform)) {
      state.oracle().fingerprint(into);
    }
  }

  @Override
  public @Nullable GuestSnapshot world(Lockstep initial) {
    return GuestSnapshot.of(initial.oracle().guest());
  }
}
