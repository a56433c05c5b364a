package org.shadowref.bench;

import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.emulate.InstructionExecutor;
import org.shadowref.emulate.X86Emulator;
import org.shadowref.shadow.GuestMachine;
import org.shadowref.shadow.NativePlatform;
import org.shadowref.shadow.Platform;
import org.shadowref.shadow.optimized.OptimizedConfig;
import org.shadowref.shadow.optimized.OptimizedEngine;
import org.shadowref.shadow.reference.ReferenceEngine;

/**
 * The platforms the benchmarks time: the reference engine in its default configuration, the
 * optimized engine as a production hypervisor runs it ({@link OptimizedConfig#PRODUCTION}:
 * out-of-sync shadows on, Xen's prefetch distance), and native paging. The workloads issue INVLPG
 * after every PTE store, as a kernel does, so out-of-sync shadows leave results equal to the
 * reference's; {@link BenchHarness}'s callers check that before timing.
 *
 * <p>Native is the guest on its own tables, on the same simulated MMU, CPU and memory as the
 * engines' hardware: what it costs no engine can go below, so its time is the floor, and an
 * engine's time above it is the engine's own work.
 */
public enum EngineKind {
  REFERENCE("reference"),
  OPTIMIZED("optimized"),
  NATIVE("native");

  /**
   * Plays the CPU for {@code Execute} operations and serves as the hypervisor's emulator: both
   * engines pay the same for decoding and executing. (The checks run the independent SDM executor
   * as the CPU; timing needs only that both engines see the same executor.)
   */
  private static final InstructionExecutor EXECUTOR = new X86Emulator();

  private final String cliName;

  EngineKind(String cliName) {
    this.cliName = cliName;
  }

  public String cliName() {
    return cliName;
  }

  public static @Nullable EngineKind fromCliName(String name) {
    for (EngineKind kind : values()) {
      if (kind.cliName.equals(name)) {
        return kind;
      }
    }
    return null;
  }

  /** A fresh platform that takes over {@code guest} (the caller hands over its own copy). */
  public Platform build(GuestMachine guest) {
    switch (this) {
      case REFERENCE:
        return new ReferenceEngine(guest, ReferenceEngine.Config.DEFAULT, EXECUTOR, EXECUTOR);
      case OPTIMIZED:
        return new OptimizedEngine(guest, OptimizedConfig.PRODUCTION, EXECUTOR, EXECUTOR);
      default:
        return new NativePlatform(guest, EXECUTOR);
    }
  }

  /** The reference engine on {@code guest}, counting every run of its page-fault handler. */
  static ReferenceEngine countingReference(GuestMachine guest, int[] handlerRuns) {
    ReferenceEngine engine = new ReferenceEngine(guest, ReferenceEngine.Config.DEFAULT, EXECUTOR, EXECUTOR);
    engine.setResolutionListener(kind -> handlerRuns[0]++);
    return engine;
  }
}
