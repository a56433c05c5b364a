package org.shadowref.shadow.core;

import org.shadowref.arch.qual.Gfn;

/**
 * The fields that name a shadow ({@link ShadowKey}'s): a key, or a live {@link Shadow} itself, so
 * that the fault path reads a shadow's key without making one (a recycled shadow descriptor has no
 * key object of its own).
 */
public interface ShadowId {
  ShadowType type();

  @Gfn long gfn();

  /** For splinters, which large leaf (see {@link ShadowKey}); else 0. */
  long slot();

  /** {@link ShadowKey#PSE} and {@link ShadowKey#NXE}. */
  int flavour();

  default boolean pse() {
    return (flavour() & ShadowKey.PSE) != 0;
  }

  default boolean nxe() {
    return (flavour() & ShadowKey.NXE) != 0;
  }

  /** A shadow's fields held for a moment, for paths that must not make a {@link ShadowKey}. */
  final class Held implements ShadowId {
    private ShadowType type = ShadowType.L1_64;
    private @Gfn long gfn;
    private long slot;
    private int flavour;

    /** Holds {@code id}'s fields; returns this. */
    public Held set(ShadowId id) {
      type = id.type();
      gfn = id.gfn();
      slot = id.slot();
      flavour = id.flavour();
      return this;
    }

    @Override
    public ShadowType type() {
      return type;
    }

    @Override
    public @Gfn long gfn() {
      return gfn;
    }

    @Override
    public long slot() {
      return slot;
    }

    @Override
    public int flavour() {
      return flavour;
    }

    @Override
    public String toString() {
      return ShadowKey.of(this).toString();
    }
  }
}
