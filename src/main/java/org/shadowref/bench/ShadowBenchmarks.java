package org.shadowref.bench;

import java.util.concurrent.TimeUnit;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.shadowref.arch.PagingMode;
import org.shadowref.shadow.Platform;

/**
 * The fault storms of {@link Workloads} under JMH, for each engine and paging mode. One benchmark
 * invocation is one whole storm on a fresh engine; the score is the time of a storm, and the
 * secondary score {@code storm:faults} the time per fault (the workload's fault count, as for the
 * {@code bench} command, is added to the counter at each invocation).
 *
 * <p>The fresh engine is built in a {@code Level.Invocation} setup, outside the measurement: it
 * copies the whole guest (megabytes), which would otherwise dominate a storm. JMH warns against
 * invocation-level setups for benchmarks of a few microseconds, where timestamping each
 * invocation costs as much as the work; a storm takes milliseconds, so that cost is far below
 * the noise here.
 *
 * <p>Run with {@code java -cp target/classes:$(cat target/runtime-classpath.txt)
 * org.openjdk.jmh.Main ShadowBenchmarks}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class ShadowBenchmarks {
  @Param({"reference", "optimized", "native"})
  public String engine = "reference";

  @Param({"2level", "pae", "4level"})
  public String mode = "4level";

  @Param({"demand", "write", "switch", "mixed"})
  public String workload = "demand";

  private @Nullable Workload built;
  private EngineKind engineKind = EngineKind.REFERENCE;
  private @Nullable Platform platform;

  /** Faults handled; JMH reports the time per fault next to the score. */
  @State(Scope.Thread)
  @AuxCounters(AuxCounters.Type.OPERATIONS)
  public static class Faults {
    public long faults;

    @Setup(Level.Iteration)
    public void reset() {
      faults = 0;
    }
  }

  @Setup(Level.Trial)
  public void build() {
    PagingMode paging = PagingMode.fromCliName(mode);
    WorkloadKind kind = WorkloadKind.fromCliName(workload);
    EngineKind chosen = EngineKind.fromCliName(engine);
    if (paging == null || kind == null || chosen == null) {
      throw new IllegalArgumentException("unknown parameters " + engine + "/" + mode + "/" + workload);
    }
    built = Workloads.build(kind, paging, Workloads.Size.STANDARD, 1);
    engineKind = chosen;
  }

  @Setup(Level.Invocation)
  public void freshEngine() {
    Workload storm = built;
    if (storm == null) {
      throw new IllegalStateException("the trial setup did not run");
    }
    platform = storm.fresh(engineKind);
  }

  @Benchmark
  public long storm(Faults counter) {
    Workload storm = built;
    Platform fresh = platform;
    if (storm == null || fresh == null) {
      throw new IllegalStateException("the setups did not run");
    }
    counter.faults += storm.faults();
    return storm.run(fresh);
  }
}
