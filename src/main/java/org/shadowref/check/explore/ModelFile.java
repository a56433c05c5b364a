package org.shadowref.check.explore;

import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A model's {@code .jpf} file, in Java PathFinder's application-properties format: {@code key =
 * value} lines, {@code #} comments, {@code \} continuations, {@code ${config_path}} for the
 * file's directory. The explorer reads {@code target} (the harness class: it implements {@link
 * Harness} and has a public constructor taking {@link ModelArgs}) and {@code target.args} (the
 * bounds, comma-separated {@code key=value}); JPF-only keys such as {@code classpath} are kept
 * and ignored.
 */
public final class ModelFile {
  private final Path path;
  private final Map<String, String> properties;
  private final Map<String, Integer> lines;

  private ModelFile(Path path, Map<String, String> properties, Map<String, Integer> lines) {
    this.path = path;
    this.properties = properties;
    this.lines = lines;
  }

  /** A problem with a model file or its target: reported to the user as bad input. */
  public static final class ModelFileException extends Exception {
    private static final long serialVersionUID = 1L;

    public ModelFileException(String message) {
      super(message);
    }
  }

  public static ModelFile read(Path path) throws ModelFileException {
    List<String> text;
    try {
      text = Files.readAllLines(path, StandardCharsets.UTF_8);
    } catch (java.nio.file.NoSuchFileException e) {
      throw new ModelFileException("no model file " + path);
    } catch (IOException e) {
      throw new ModelFileException("cannot read model file " + path + ": " + e);
    } catch (RuntimeException e) {
      throw new ModelFileException("cannot read model file " + path + ": " + e);
    }
    Path directory = path.toAbsolutePath().getParent();
    String configPath = directory == null ? "." : directory.toString();
    Map<String, String> properties = new LinkedHashMap<>();
    Map<String, Integer> lines = new LinkedHashMap<>();
    for (int i = 0; i < text.size(); i++) {
      int lineNumber = i + 1;
      StringBuilder logical = new StringBuilder(text.get(i).trim());
      while (logical.length() > 0 && logical.charAt(logical.length() - 1) == '\\' && i + 1 < text.size()) {
        logical.setLength(logical.length() - 1);
        i++;
        logical.append(text.get(i).trim());
      }
      String line = logical.toString();
      if (line.isEmpty() || line.startsWith("#") || line.startsWith("@")) {
        continue; // JPF's @using/@include directives name JPF extensions we do not need
      }
      int equals = line.indexOf('=');
      if (equals <= 0) {
        throw new ModelFileException(path + ":" + lineNumber + ": expected 'key = value', got '" + line + "'");
      }
      boolean append = line.charAt(equals - 1) == '+';
      String key = line.substring(0, append ? equals - 1 : equals).trim();
      String value = line.substring(equals + 1).trim().replace("${config_path}", configPath);
      if (key.isEmpty()) {
        throw new ModelFileException(path + ":" + lineNumber + ": a property needs a name before '='");
      }
      String previous = properties.get(key);
      properties.put(key, append && previous != null ? previous + value : value);
      lines.put(key, lineNumber);
    }
    return new ModelFile(path, properties, lines);
  }

  /** The model's name: the file name without {@code .jpf}. */
  public String name() {
    Path file = path.getFileName();
    String name = file == null ? path.toString() : file.toString();
    return name.endsWith(".jpf") ? name.substring(0, name.length() - 4) : name;
  }

  public @Nullable String property(String key) {
    return properties.get(key);
  }

  /** The harness class named by {@code target}. */
  public String target() throws ModelFileException {
    String target = properties.get("target");
    if (target == null || target.isEmpty()) {
      throw new ModelFileException(path + ": no 'target = CLASS' line: which harness should run?");
    }
    return target;
  }

  /** The {@code target.args} words as model arguments. */
  public ModelArgs args() throws ModelFileException {
    String args = properties.get("target.args");
    try {
      return ModelArgs.parse(args == null ? new String[0] : args.split(","));
    } catch (IllegalArgumentException e) {
      throw new ModelFileException(path + ":" + lines.get("target.args") + ": " + e.getMessage());
    }
  }

  /** The property naming the bounds of a thorough run ({@code check --thorough}, {@code explore --thorough}). */
  public static final String THOROUGH_ARGS = "shadowref.thorough.args";

  /**
   * The bounds of a thorough run: {@code target.args} with the words of {@code
   * shadowref.thorough.args} put over them, or, in a file that declares none, with the depth one
   * deeper (no bound stays no bound).
   */
  public ModelArgs thoroughArgs() throws ModelFileException {
    ModelArgs args = args();
    String thorough = properties.get(THOROUGH_ARGS);
    try {
      if (thorough == null) {
        int depth = args.intValue("depth", -1, -1, 1_000_000);
        return depth < 0 ? args : args.with("depth", String.valueOf(depth + 1));
      }
      ModelArgs.parse(thorough.split(",")); // rejects words that are not key=value, or a key given twice
      for (String word : thorough.split(",")) {
        int equals = word.indexOf('=');
        if (equals > 0) {
          args = args.with(word.substring(0, equals).trim(), word.substring(equals + 1).trim());
        }
      }
      return args;
    } catch (IllegalArgumentException e) {
      throw new ModelFileException(path + ":" + lines.get(thorough == null ? "target.args" : THOROUGH_ARGS) + ": "
          + e.getMessage());
    }
  }

  /**
   * Builds the harness named by {@code target} from {@code args}, checking that every argument
   * was used.
   */
  public static Harness<?> instantiate(String target, ModelArgs args, String where) throws ModelFileException {
    Class<?> type;
    try {
      type = Class.forName(target);
    } catch (ClassNotFoundException | LinkageError e) {
      throw new ModelFileException(where + ": unknown target class '" + target + "'");
    }
    if (!Harness.class.isAssignableFrom(type)) {
      throw new ModelFileException(where + ": target " + target + " is not a harness (it does not implement "
          + Harness.class.getName() + ")");
    }
    Constructor<?> constructor;
    try {
      constructor = type.getConstructor(ModelArgs.class);
    } catch (NoSuchMethodException e) {
      throw new ModelFileException(where + ": target " + target + " has no public constructor taking ModelArgs");
    }
    Object harness;
    try {
      harness = constructor.newInstance(args);
    } catch (InvocationTargetException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IllegalArgumentException) {
        throw new ModelFileException(where + ": " + cause.getMessage());
      }
      throw new ModelFileException(where + ": target " + target + " failed to start: " + cause);
    } catch (ReflectiveOperationException e) {
      throw new ModelFileException(where + ": cannot create " + target + ": " + e);
    }
    try {
      args.checkAllUsed(type.getSimpleName());
    } catch (IllegalArgumentException e) {
      throw new ModelFileException(where + ": " + e.getMessage());
    }
    return (Harness<?>) harness;
  }
}
