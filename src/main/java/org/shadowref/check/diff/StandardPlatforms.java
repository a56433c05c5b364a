package org.shadowref.check.diff;

import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.emulate.InstructionExecutor;
import org.shadowref.emulate.SdmExecutor;
import org.shadowref.emulate.X86Emulator;
import org.shadowref.shadow.optimized.Mutant;
import org.shadowref.shadow.optimized.OptimizedEngine;
import org.shadowref.shadow.reference.ReferenceEngine;

/**
 * The one place that builds the platforms the CLI and the properties compare: native ({@code
 * NativePlatform}, the oracle) first, then the reference engine and the optimized engine, all running
 * guest instructions with the same executors.
 */
public final class StandardPlatforms {
  /**
   * Plays the CPU for {@code Execute} operations on every platform: the SDM executor, which shares
   * no code with the emulator, so every emulated store is judged against an independent reading.
   */
  private static final InstructionExecutor CPU = new SdmExecutor();
  /** The hypervisor's emulator for stores to shadowed page tables. */
  private static final InstructionExecutor EMULATOR = new X86Emulator();

  /** Shadow frames for mutant runs: the tops of two vCPUs and one fault's chain, and a little more. */
  public static final int MUTANT_POOL_FRAMES = 24;

  private StandardPlatforms() {}

  /** Native, the reference engine and the optimized engine, each with its default configuration. */
  public static PlatformSet all() {
    return withReference(ReferenceEngine.Config.DEFAULT)
        .with("optimized", world -> new OptimizedEngine(world.build(), OptimizedEngine.Config.DEFAULT, CPU, EMULATOR));
  }

  /** Native, then the optimized engine configured by {@code config} (a seeded bug included). */
  public static PlatformSet withOptimized(OptimizedEngine.Config config) {
    return PlatformSet.nativeOnly(CPU).with("optimized", optimizedBuilder(config));
  }

  /** Builds the optimized engine configured by {@code config}, with the standard executors. */
  public static PlatformSet.Builder optimizedBuilder(OptimizedEngine.Config config) {
    return world -> new OptimizedEngine(world.build(), config, CPU, EMULATOR);
  }

  /**
   * The optimized engine with one seeded bug (or clean when {@code mutant} is null), every
   * technique on and the pool held to {@link #MUTANT_POOL_FRAMES} frames, so that short runs
   * reach eviction too.
   */
  public static PlatformSet withOptimizedMutant(@Nullable Mutant mutant) {
    return withOptimized(OptimizedEngine.Config.DEFAULT.withPoolFrames(MUTANT_POOL_FRAMES).withMutant(mutant));
  }

  /** Native, then the reference engine configured by {@code config} (seeded bugs included). */
  public static PlatformSet withReference(ReferenceEngine.Config config) {
    return PlatformSet.nativeOnly(CPU)
        .with("reference", world -> new ReferenceEngine(world.build(), config, CPU, EMULATOR));
  }

  /** The reference engine with one seeded bug, or clean when {@code bug} is null. */
  public static PlatformSet withReferenceBug(ReferenceEngine.@Nullable Bug bug) {
    return withReference(bug == null ? ReferenceEngine.Config.DEFAULT : ReferenceEngine.Config.DEFAULT.withBug(bug));
  }
}
