package org.shadowref.check.explore;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model's bounds and settings: {@code key=value} words, as JPF passes {@code target.args} to
 * {@code main} and as the {@code explore} command reads them from the same {@code .jpf} file.
 * A harness reads what it needs; {@link #checkAllUsed} then rejects any word nobody read, so a
 * misspelt bound is an error rather than a silently smaller model. {@code depth} belongs to the
 * driver (explorer or JPF), not to the harness.
 */
public final class ModelArgs {
  private final Map<String, String> values = new LinkedHashMap<>();
  private final List<String> used = new ArrayList<>();

  private ModelArgs() {}

  /** Parses {@code key=value} words; empty words are ignored. */
  public static ModelArgs parse(String... words) {
    ModelArgs args = new ModelArgs();
    for (String raw : words) {
      String word = raw.trim();
      if (word.isEmpty()) {
        continue;
      }
      int equals = word.indexOf('=');
      if (equals <= 0) {
        throw new IllegalArgumentException("model argument '" + word + "' is not of the form key=value");
      }
      String key = word.substring(0, equals).trim();
      if (args.values.containsKey(key)) {
        throw new IllegalArgumentException("model argument '" + key + "' is given twice");
      }
      args.values.put(key, word.substring(equals + 1).trim());
    }
    return args;
  }

  /** These arguments with {@code key} set to {@code value} (a command-line override). */
  public ModelArgs with(String key, String value) {
    ModelArgs out = new ModelArgs();
    out.values.putAll(values);
    out.values.put(key, value);
    return out;
  }

  /** The value given for {@code key}, unchecked, or null when absent. */
  public @org.checkerframework.checker.nullness.qual.Nullable String value(String key) {
    return read(key);
  }

  public boolean has(String key) {
    return values.containsKey(key);
  }

  public int intValue(String key, int fallback, int min, int max) {
    String text = read(key);
    if (text == null) {
      return fallback;
    }
    int value;
    try {
      value = Integer.parseInt(text);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("model argument " + key + "=" + text + " is not a whole number");
    }
    if (value < min || value > max) {
      throw new IllegalArgumentException("model argument " + key + "=" + text + " must be within " + min + ".." + max);
    }
    return value;
  }

  /** One of {@code allowed}; {@code fallback} when absent. */
  public String choice(String key, String fallback, String... allowed) {
    String text = read(key);
    if (text == null) {
      return fallback;
    }
    for (String option : allowed) {
      if (option.equals(text)) {
        return option;
      }
    }
    throw new IllegalArgumentException(
        "model argument " + key + "=" + text + " must be one of: " + String.join(", ", allowed));
  }

  /**
   * Fails on any argument not read so far, naming the model.
   *
   * @throws IllegalArgumentException naming the first unknown argument and the known ones
   */
  public void checkAllUsed(String model) {
    for (String key : values.keySet()) {
      if (!used.contains(key)) {
        throw new IllegalArgumentException(
            "model " + model + " has no argument '" + key + "'"
                + (used.isEmpty() ? "" : " (it reads: " + String.join(", ", used) + ")"));
      }
    }
  }

  private @org.checkerframework.checker.nullness.qual.Nullable String read(String key) {
    if (!used.contains(key)) {
      used.add(key);
    }
    return values.get(key);
  }

  /** The arguments as {@code key=value,key=value}, the form of {@code target.args}. */
  @Override
  public String toString() {
    StringBuilder out = new StringBuilder();
    for (Map.Entry<String, String> entry : values.entrySet()) {
      if (out.length() > 0) {
        out.append(',');
      }
      out.append(entry.getKey()).append('=').append(entry.getValue());
    }
    return out.toString();
  }
}
