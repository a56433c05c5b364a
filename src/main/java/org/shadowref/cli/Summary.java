package org.shadowref.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The one line every command ends with: {@code COMMAND: key=value key=value ...}. Values with
 * spaces are quoted so scripts can split on spaces.
 */
public final class Summary {
  private final String command;
  private final Map<String, String> fields = new LinkedHashMap<>();
  private boolean failed;

  public Summary(String command) {
    this.command = command;
  }

  public Summary put(String key, @Nullable Object value) {
    fields.put(key, String.valueOf(value));
    return this;
  }

  /** Marks the run as failed: the command exits non-zero. */
  public Summary fail() {
    failed = true;
    return this;
  }

  public Summary failIf(boolean condition) {
    failed |= condition;
    return this;
  }

  public boolean failed() {
    return failed;
  }

  /**
   * The first line of a message that may run over several (a YAML parser's, say), for the summary
   * line; the whole message goes to standard error above it.
   */
  public static String firstLine(@Nullable String message) {
    String text = String.valueOf(message).strip();
    int end = text.indexOf('\n');
    return end < 0 ? text : text.substring(0, end).strip() + " ...";
  }

  public String line() {
    StringBuilder out = new StringBuilder(command).append(':');
    for (Map.Entry<String, String> field : fields.entrySet()) {
      String value = field.getValue().replace('\n', ' ').replace('\r', ' ');
      boolean quote = value.isEmpty() || value.indexOf(' ') >= 0 || value.indexOf('"') >= 0;
      out.append(' ').append(field.getKey()).append('=');
      out.append(quote ? '"' + value.replace("\"", "'") + '"' : value);
    }
    return out.toString();
  }
}
