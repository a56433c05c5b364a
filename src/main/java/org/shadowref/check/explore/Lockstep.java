package org.shadowref.check.explore;

import org.shadowref.shadow.Platform;

/**
 * The state of a differential model: the platform under test and its oracle (the native
 * machine), which every operation drives alike. Copying copies both; nothing else is state.
 */
public final class Lockstep {
  private final Platform system;
  private final Platform oracle;

  public Lockstep(Platform system, Platform oracle) {
    this.system = system;
    this.oracle = oracle;
  }

  /** The platform under test (an engine). */
  public Platform system() {
    return system;
  }

  /** The platform whose results define right (the native machine). */
  public Platform oracle() {
    return oracle;
  }

  public Lockstep copy() {
    return new Lockstep(system.copy(), oracle.copy());
  }

  /** Makes {@code target}, a state no longer needed, a copy of this one, overwriting its platforms where they allow it. */
  public Lockstep copyInto(Lockstep target) {
    Platform systemCopy = system.copyInto(target.system);
    Platform oracleCopy = oracle.copyInto(target.oracle);
    return systemCopy == target.system && oracleCopy == target.oracle ? target : new Lockstep(systemCopy, oracleCopy);
  }

  @Override
  public String toString() {
    return system.name() + " vs " + oracle.name();
  }
}
