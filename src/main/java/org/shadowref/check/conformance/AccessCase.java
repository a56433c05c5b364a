package org.shadowref.check.conformance;

import org.shadowref.arch.Access;

/**
 * One combination of the access matrix: the flags of the varied directory and leaf entries, the
 * access, and the control bits, in one geometry. The leaf's flags are unused when the directory
 * maps a large page; the matrix then enumerates only one leaf value.
 */
public record AccessCase(
    Geometry geometry, Controls controls, Access access, int directoryFlags, int leafFlags) {

  /** The flags of the entry at {@code level} before the access. */
  public int flagsAt(int level) {
    if (level == geometry.directoryLevel()) {
      return directoryFlags;
    }
    if (level == geometry.leafLevel()) {
      return leafFlags | geometry.leafFixedFlags();
    }
    return geometry.fixedFlags(level);
  }

  @Override
  public String toString() {
    return geometry.label()
        + " "
        + geometry.directoryName()
        + "="
        + Flags.describe(directoryFlags)
        + " "
        + geometry.leafName()
        + "="
        + Flags.describe(leafFlags)
        + " "
        + access
        + " ["
        + controls
        + "]";
  }
}
