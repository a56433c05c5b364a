package org.shadowref.check.diff;

import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.emulate.InstructionExecutor;
import org.shadowref.emulate.SdmExecutor;
import org.shadowref.emulate.X86Emulator;
import org.shadowref.shadow.core.SeededBug;
import org.shadowref.shadow.optimized.OptimizedConfig;
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

  /**
   * The lanes of the campaign {@code check} runs: the reference engine and the optimized engine in
   * every {@link OptimizedConfig} preset, over every paging mode. Engines judged exactly
   * share a native oracle; PRODUCTION (out-of-sync shadows) is judged against native with a TLB,
   * one engine per lane. The 2-on-2 lanes start their guests in 2-level paging; the weights are
   * the lanes' shares of the operations, set so that each lane gets a similar share of the time.
   */
  public static java.util.List<Lane> campaignLanes() {
    OptimizedConfig small = OptimizedConfig.DEFAULT.withPoolFrames(MUTANT_POOL_FRAMES);
    OptimizedConfig production = OptimizedConfig.PRODUCTION;
    PlatformSet every = withReference(ReferenceEngine.Config.DEFAULT)
        .with("optimized", optimized(OptimizedConfig.DEFAULT))
        .with("optimized-plain", optimized(OptimizedConfig.PLAIN))
        .with("optimized-pool" + MUTANT_POOL_FRAMES, optimized(small))
        .with("reference-pool" + MUTANT_POOL_FRAMES, reference(ReferenceEngine.Config.DEFAULT.withPoolFrames(MUTANT_POOL_FRAMES)));
    PlatformSet twoOnTwo = withReference(ReferenceEngine.Config.DEFAULT.withTwoOnTwo(true))
        .with("optimized-2on2", optimized(OptimizedConfig.DEFAULT.withTwoOnTwo(true)))
        .with("optimized-plain-2on2", optimized(OptimizedConfig.PLAIN.withTwoOnTwo(true)))
        .with("optimized-pool" + MUTANT_POOL_FRAMES + "-2on2", optimized(small.withTwoOnTwo(true)))
        .with("reference-pool" + MUTANT_POOL_FRAMES + "-2on2",
            reference(ReferenceEngine.Config.DEFAULT.withTwoOnTwo(true).withPoolFrames(MUTANT_POOL_FRAMES)));
    return java.util.List.of(
        new Lane("every mode", every, null, 6),
        new Lane("2-level", twoOnTwo, org.shadowref.arch.PagingMode.TWO_LEVEL, 3),
        new Lane("production", alone("optimized-production", production), null, 4),
        new Lane("production, small pool",
            alone("optimized-production-pool" + MUTANT_POOL_FRAMES, production.withPoolFrames(MUTANT_POOL_FRAMES)), null, 3),
        new Lane("production, 2-level", alone("optimized-production-2on2", production.withTwoOnTwo(true)),
            org.shadowref.arch.PagingMode.TWO_LEVEL, 2));
  }

  /** Native with a TLB and one optimized engine configured by {@code config}. */
  private static PlatformSet alone(String name, OptimizedConfig config) {
    return PlatformSet.nativeOnly(CPU).with(name, optimized(config)).judgedWithTlb();
  }

  /** Builds the optimized engine configured by {@code config}, with the standard executors. */
  public static PlatformSet.Builder optimized(OptimizedConfig config) {
    return world -> new OptimizedEngine(world.build(), config, CPU, EMULATOR);
  }

  /** Builds the reference engine configured by {@code config}, with the standard executors. */
  public static PlatformSet.Builder reference(ReferenceEngine.Config config) {
    return world -> new ReferenceEngine(world.build(), config, CPU, EMULATOR);
  }

  /** Native, the reference engine and the optimized engine, each with its default configuration. */
  public static PlatformSet all() {
    return withReference(ReferenceEngine.Config.DEFAULT)
        .with("optimized", world -> new OptimizedEngine(world.build(), OptimizedConfig.DEFAULT, CPU, EMULATOR));
  }

  /** Native, the reference engine (in the same 2-on-2 choice) and the optimized engine configured by {@code config}. */
  public static PlatformSet withReferenceAndOptimized(OptimizedConfig config) {
    return withReference(ReferenceEngine.Config.DEFAULT.withTwoOnTwo(config.twoOnTwo()))
        .with("optimized", world -> new OptimizedEngine(world.build(), config, CPU, EMULATOR));
  }

  /** Native, then the optimized engine configured by {@code config} (a seeded bug included). */
  public static PlatformSet withOptimized(OptimizedConfig config) {
    return PlatformSet.nativeOnly(CPU).with("optimized", optimized(config));
  }

  /**
   * The optimized engine with one seeded bug (or clean when {@code mutant} is null), every
   * technique on and the pool held to {@link #MUTANT_POOL_FRAMES} frames, so that short runs
   * reach eviction too.
   */
  public static PlatformSet withOptimizedBug(@Nullable SeededBug mutant) {
    return withOptimized(OptimizedConfig.DEFAULT.withPoolFrames(MUTANT_POOL_FRAMES).withBug(mutant));
  }

  /** Native, then the reference engine configured by {@code config} (seeded bugs included). */
  public static PlatformSet withReference(ReferenceEngine.Config config) {
    return PlatformSet.nativeOnly(CPU)
        .with("reference", reference(config));
  }

  /** The reference engine emulating page-table stores with an emulator that carries {@code bug}. */
  public static PlatformSet withEmulatorBug(X86Emulator.Bug bug) {
    InstructionExecutor emulator = new X86Emulator(bug);
    return PlatformSet.nativeOnly(CPU)
        .with("reference", world -> new ReferenceEngine(world.build(), ReferenceEngine.Config.DEFAULT, CPU, emulator));
  }

  /** The reference engine with one seeded bug, or clean when {@code bug} is null. */
  public static PlatformSet withReferenceBug(@Nullable SeededBug bug) {
    return withReference(bug == null ? ReferenceEngine.Config.DEFAULT : ReferenceEngine.Config.DEFAULT.withBug(bug));
  }
}
