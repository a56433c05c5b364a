package org.shadowref.bench;

import java.nio.file.Path;
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
import org.shadowref.check.explore.ExplorationReport;
import org.shadowref.check.explore.Explorer;
import org.shadowref.check.explore.ExplorerOptions;
import org.shadowref.check.explore.Harness;
import org.shadowref.check.explore.ModelArgs;
import org.shadowref.check.explore.ModelFile;
import org.shadowref.check.explore.Strategy;

/**
 * The explorer's rate once the JIT has compiled it: one invocation is one whole depth-first
 * search of a model at its file's bounds, as {@code shadowref explore models/NAME.jpf --dfs}
 * runs it; the secondary score {@code explore:states} is in states per second. A single CLI run
 * is shorter than the JIT's warm-up on a small machine, so its rate is lower (proofs/models.md).
 *
 * <p>Run from the repository root (the models are read from {@code models/}) with {@code java -cp
 * target/classes:$(cat target/runtime-classpath.txt) org.openjdk.jmh.Main ExplorerBenchmarks}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Warmup(iterations = 5, time = 3)
@Measurement(iterations = 5, time = 3)
public class ExplorerBenchmarks {
  @Param({"SingleFault"})
  public String model = "SingleFault";

  @Param({"1", "2"})
  public int threads = 1;

  /**
   * The engine models' paging mode: 4-level, the world the recorded rates were measured on (the
   * model files explore every mode since; {@code -p mode=all} runs them as the files do).
   */
  @Param({"4level"})
  public String mode = "4level";

  private @Nullable Harness<?> harness;
  private int depth;

  /** States found; JMH reports them per second next to the score. */
  @State(Scope.Thread)
  @AuxCounters(AuxCounters.Type.OPERATIONS)
  public static class Explored {
    public long states;

    @Setup(Level.Iteration)
    public void reset() {
      states = 0;
    }
  }

  @Setup(Level.Trial)
  public void read() throws Exception {
    ModelFile file = ModelFile.read(Path.of("models", model + ".jpf"));
    ModelArgs args = file.args().has("mode") ? file.args().with("mode", mode) : file.args();
    depth = args.intValue("depth", -1, -1, 1_000_000);
    harness = ModelFile.instantiate(file.target(), args, model);
  }

  @Benchmark
  public long explore(Explored counter) {
    Harness<?> model = harness;
    if (model == null) {
      throw new IllegalStateException("the trial setup did not run");
    }
    ExplorationReport report = Explorer.explore(model, ExplorerOptions.defaults()
        .withStrategy(Strategy.DFS).withDepthBound(depth).withThreads(threads));
    counter.states += report.states();
    return report.states();
  }
}
