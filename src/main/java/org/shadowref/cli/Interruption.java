package org.shadowref.cli;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Ctrl-C for a long run: the first interrupt asks the work to stop, the command reports what it
 * did so far, and only then does the JVM end (exit status 130, as for any interrupted program).
 * The JVM runs this as a shutdown hook, so it waits, briefly bounded, for the summary line.
 */
final class Interruption extends Thread {
  /** How long the JVM waits for the interrupted command to print what it did. */
  private static final long REPORT_SECONDS = 30;

  private volatile boolean requested;
  private final CountDownLatch reported = new CountDownLatch(1);

  private Interruption() {
    super("shadowref-interrupt");
  }

  /** Installs the hook; the command must call {@link #reported()} once its summary is out. */
  static Interruption install() {
    Interruption interruption = new Interruption();
    Runtime.getRuntime().addShutdownHook(interruption);
    return interruption;
  }

  /** True once the user interrupted: stop at the next step and report. */
  boolean requested() {
    return requested;
  }

  @Override
  public void run() {
    requested = true;
    try {
      reported.await(REPORT_SECONDS, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The summary is printed: an interrupted JVM may end; a run that finished removes the hook. */
  void reported() {
    reported.countDown();
    try {
      Runtime.getRuntime().removeShutdownHook(this);
    } catch (IllegalStateException shuttingDown) {
      // The JVM is already ending (the user interrupted): the hook just released it.
    }
  }
}
