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

  public String line() {
    StringBuilder out = new StringBuilder(command).append(':');
    for (Map.Entry<String, String> field : fields.entrySet()) {
      String value = field.getValue();
      boolean quote = value.isEmpty() || value.indexOf(' ') >= 0 || value.indexOf('"') >= 0;
      out.append(' ').append(field.getKey()).append('=');
      out.append(quote ? '"' + value.replace("\"", "'") + '"' : value);
    }
    return out.toString();
  }
}
