package org.shadowref.cli;

import picocli.CommandLine.Option;

/** {@code --threads N} for the commands that share their work over the cores (a picocli mixin). */
final class ThreadsOption {
  @Option(names = "--threads", paramLabel = "N", description = "Threads sharing the work (default: the machine's cores, ${DEFAULT-VALUE}).")
  int threads = Runtime.getRuntime().availableProcessors();

  /** The thread count; outside 1..256 it is bad input. */
  int count() {
    if (threads < 1 || threads > 256) {
      throw new UserInputException("--threads must be between 1 and 256, got " + threads);
    }
    return threads;
  }
}
