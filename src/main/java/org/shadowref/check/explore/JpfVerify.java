package org.shadowref.check.explore;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The bridge to Java PathFinder's {@code gov.nasa.jpf.vm.Verify}, found by reflection so that the
 * project has no compile-time dependency on JPF (which is not on Maven Central). Outside JPF the
 * class is usually absent; when it is present but we are not running inside JPF, {@code
 * Verify.isRunningInJPF()} says so and the bridge stays off.
 */
public final class JpfVerify implements Choices {
  private static final String VERIFY = "gov.nasa.jpf.vm.Verify";

  private static final @Nullable JpfVerify INSTANCE = find();

  private final Method getInt;
  private final Method getBoolean;
  private final Method ignoreIf;
  private final Method getCounter;
  private final Method setCounter;

  private JpfVerify(Method getInt, Method getBoolean, Method ignoreIf, Method getCounter, Method setCounter) {
    this.getInt = getInt;
    this.getBoolean = getBoolean;
    this.ignoreIf = ignoreIf;
    this.getCounter = getCounter;
    this.setCounter = setCounter;
  }

  /** The bridge when this code runs inside JPF, else null. */
  public static @Nullable JpfVerify ifRunningInJpf() {
    return INSTANCE;
  }

  public static boolean runningInJpf() {
    return INSTANCE != null;
  }

  @Override
  public int chooseInt(int lowInclusive, int highInclusive) {
    if (lowInclusive > highInclusive) {
      throw new IllegalArgumentException("empty choice range " + lowInclusive + ".." + highInclusive);
    }
    return (Integer) call(getInt, lowInclusive, highInclusive);
  }

  @Override
  public boolean chooseBoolean() {
    return (Boolean) call(getBoolean);
  }

  /**
   * Counter {@code id}: JPF keeps its counters in the host VM (the native peer of {@code Verify}),
   * so unlike the program's own fields they are not restored on backtracking: they count across
   * every path of the search.
   */
  public int counter(int id) {
    return (Integer) call(getCounter, id);
  }

  /** Sets counter {@code id} (see {@link #counter}). */
  public void setCounter(int id, int value) {
    call(setCounter, id, value);
  }

  /** Abandons the current path: JPF backtracks as if this choice combination did not exist. */
  public void ignorePath() {
    call(ignoreIf, true);
  }

  private static Object call(Method method, Object... args) {
    try {
      Object result = invokeStatic(method, args);
      if (result == null && method.getReturnType() != void.class) {
        throw new IllegalStateException(method + " returned null");
      }
      return result == null ? Boolean.FALSE : result;
    } catch (IllegalAccessException e) {
      throw new IllegalStateException("cannot call " + method, e);
    } catch (InvocationTargetException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException unchecked) {
        throw unchecked;
      }
      if (cause instanceof Error error) {
        throw error;
      }
      throw new IllegalStateException(method + " failed", cause);
    }
  }

  // Static methods are invoked with a null receiver, which the JDK's nullness annotations forbid.
  @SuppressWarnings("nullness")
  private static @Nullable Object invokeStatic(Method method, Object... args)
      throws IllegalAccessException, InvocationTargetException {
    return method.invoke(null, args);
  }

  private static @Nullable JpfVerify find() {
    try {
      Class<?> verify = Class.forName(VERIFY);
      Method running = verify.getMethod("isRunningInJPF");
      if (!Boolean.TRUE.equals(invokeStatic(running))) {
        return null;
      }
      return new JpfVerify(
          verify.getMethod("getInt", int.class, int.class),
          verify.getMethod("getBoolean"),
          verify.getMethod("ignoreIf", boolean.class),
          verify.getMethod("getCounter", int.class),
          verify.getMethod("setCounter", int.class, int.class));
    } catch (ClassNotFoundException | NoSuchMethodException e) {
      return null;
    } catch (IllegalAccessException | InvocationTargetException e) {
      return null;
    }
  }
}
