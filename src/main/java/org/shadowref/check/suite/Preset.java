package org.shadowref.check.suite;

/** How hard {@code shadowref check} looks: the bounds of every step scale with the preset. */
public enum Preset {
  /** A minute or two: smaller campaigns and model bounds, for a quick look. */
  QUICK(0.25),
  /** The default: a few minutes on a laptop. */
  STANDARD(1),
  /** Deeper models and longer campaigns, for a release or after a change to an engine. */
  THOROUGH(4);

  private final double scale;

  Preset(double scale) {
    this.scale = scale;
  }

  /** {@code base} scaled to this preset, at least 1. */
  public long scaled(long base) {
    return Math.max(1, Math.round(base * scale));
  }
}
