package org.shadowref.cli;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Output paths given on the command line are tried before the command's work starts, so a typo
 * costs a message rather than a run. Permission bits are not enough to decide (they say nothing
 * to root, nor about /proc): the check creates the directory and a probe file in it, then deletes
 * the probe. A directory the command would create anyway may therefore exist after a refusal.
 */
final class OutputPaths {
  private OutputPaths() {}

  /** {@code directory} (given as {@code option}) exists or could be made, and a file can be created in it. */
  static void requireWritableDirectory(Path directory, String option) {
    if (Files.exists(directory) && !Files.isDirectory(directory)) {
      throw new UserInputException("cannot write " + option + " " + directory + ": it is a file, not a directory");
    }
    probe(directory, option + " " + directory);
  }

  /** {@code file} (given as {@code option}) can be written: not a directory, in a directory that takes new files. */
  static void requireWritableFile(Path file, String option) {
    if (Files.isDirectory(file)) {
      throw new UserInputException("cannot write " + option + " " + file + ": it is a directory");
    }
    if (Files.exists(file) && !Files.isRegularFile(file)) {
      throw new UserInputException("cannot write " + option + " " + file + ": not a regular file");
    }
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      if (Files.exists(parent) && !Files.isDirectory(parent)) {
        throw new UserInputException("cannot write " + option + " " + file + ": " + parent + " is a file, not a directory");
      }
      probe(parent, option + " " + file);
    }
  }

  private static void probe(Path directory, String what) {
    try {
      Files.createDirectories(directory);
      Path probe = Files.createTempFile(directory, ".shadowref-probe", "");
      Files.delete(probe);
    } catch (IOException | SecurityException e) {
      throw new UserInputException("cannot write " + what + ": " + reason(e));
    }
  }

  private static String reason(Exception e) {
    if (e instanceof NoSuchFileException missing) {
      return "no such directory " + missing.getFile();
    }
    if (e instanceof FileSystemException fs) {
      return (fs.getReason() == null ? e.getClass().getSimpleName() : fs.getReason())
          + (fs.getFile() == null ? "" : " (" + fs.getFile() + ")");
    }
    return String.valueOf(e.getMessage());
  }
}
