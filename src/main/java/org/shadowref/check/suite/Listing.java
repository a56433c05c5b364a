package org.shadowref.check.suite;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** The files of a directory that a claim runs over, in name order so runs are repeatable. */
final class Listing {
  private Listing() {}

  static List<Path> files(Path directory, String glob) throws IOException {
    List<Path> files = new ArrayList<>();
    try (DirectoryStream<Path> listing = Files.newDirectoryStream(directory, glob)) {
      for (Path file : listing) {
        if (!name(file).endsWith(".schema.json")) {
          files.add(file);
        }
      }
    }
    files.sort(Comparator.naturalOrder());
    return files;
  }

  static String name(Path file) {
    Path name = file.getFileName();
    return name == null ? file.toString() : name.toString();
  }
}
