package org.shadowref.cli;

import java.nio.file.Path;
import java.util.function.Supplier;

/**
 * The engines run out of shadow frames when the input gives them too few ({@code shadowFrames} in a
 * scenario, the machine of a trace): that is bad input, reported with the hint to give more, not
 * an internal error. The engines report it as an {@link IllegalStateException} whose message
 * starts with {@link #EXHAUSTED} (both engines' {@code preallocate} and their shadow stores).
 */
final class ShadowMemory {
  static final String EXHAUSTED = "shadow memory exhausted";

  private ShadowMemory() {}

  static <T> T guard(Path source, Supplier<T> work) {
    try {
      return work.get();
    } catch (IllegalStateException e) {
      String message = String.valueOf(e.getMessage());
      if (!message.startsWith(EXHAUSTED)) {
        throw e;
      }
      throw new UserInputException(source + ": the guest leaves the engines too few shadow frames (" + message
          + "); give it more (shadowFrames in a scenario, default 64)");
    }
  }
}
