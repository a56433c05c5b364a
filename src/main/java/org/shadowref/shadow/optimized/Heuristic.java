package org.shadowref.shadow.optimized;

import org.checkerframework.checker.initialization.qual.NotOnlyInitialized;
import org.checkerframework.checker.initialization.qual.UnderInitialization;
import org.shadowref.shadow.GuestMachine;

/**
 * What a heuristic of the optimized engine works with: the engine it calls back into (made while
 * the engine is), its switches, the guest, the pool that keeps the heuristic's state (so copies
 * and fingerprints include it) and the counters it reports to. Early unshadow, write flooding,
 * fast emulation and the give-up of reused tops share it.
 */
abstract class Heuristic {
  @NotOnlyInitialized final OptimizedEngine engine;
  final OptimizedConfig config;
  final GuestMachine guest;
  final ShadowPool pool;
  final Counters counters;

  Heuristic(@UnderInitialization OptimizedEngine engine, OptimizedConfig config, GuestMachine guest, ShadowPool pool,
      Counters counters) {
    this.engine = engine;
    this.config = config;
    this.guest = guest;
    this.pool = pool;
    this.counters = counters;
  }
}
