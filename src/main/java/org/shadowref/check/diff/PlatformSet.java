package org.shadowref.check.diff;

import java.util.ArrayList;
import java.util.List;
import org.shadowref.check.trace.GuestSnapshot;
import org.shadowref.emulate.InstructionExecutor;
import org.shadowref.shadow.NativePlatform;
import org.shadowref.shadow.Platform;

/**
 * The platforms a run compares, each built fresh from the same world. The first is always the
 * native oracle; the others are judged against it.
 */
public final class PlatformSet {
  /** Builds one platform on its own copy of a world. */
  public interface Builder {
    /** A new platform running {@code world}'s guest (built afresh; nothing is shared). */
    Platform build(GuestSnapshot world);
  }

  private final List<String> names = new ArrayList<>();
  private final List<Builder> builders = new ArrayList<>();
  /** Whether the one engine is judged against native with a TLB model ({@link TlbOracle}), not exactly. */
  private boolean tlbJudged;

  private PlatformSet() {}

  /** Native alone, running instructions with {@code cpu}. */
  public static PlatformSet nativeOnly(InstructionExecutor cpu) {
    PlatformSet set = new PlatformSet();
    set.names.add("native");
    set.builders.add(world -> new NativePlatform(world.build(), cpu));
    return set;
  }

  /** This set with one more platform to judge against native. */
  public PlatformSet with(String name, Builder builder) {
    PlatformSet set = new PlatformSet();
    set.names.addAll(names);
    set.builders.addAll(builders);
    set.names.add(name);
    set.builders.add(builder);
    set.tlbJudged = tlbJudged;
    if (tlbJudged && set.names.size() > 2) {
      throw new IllegalArgumentException("native with a TLB follows one engine's stale choices: one engine only");
    }
    return set;
  }

  /**
   * This set with its engine judged against native with a TLB model: for engines whose shadows
   * may go out of sync, which may show the guest what a TLB may show.
   */
  public PlatformSet judgedWithTlb() {
    if (names.size() > 2) {
      throw new IllegalArgumentException("native with a TLB follows one engine's stale choices: one engine only");
    }
    PlatformSet set = new PlatformSet();
    set.names.addAll(names);
    set.builders.addAll(builders);
    set.tlbJudged = true;
    return set;
  }

  /** True when the set's one engine is judged against native with a TLB model. */
  public boolean tlbJudged() {
    return tlbJudged;
  }

  /** The platforms' names, native first, in the order {@link #build} builds them. */
  public List<String> names() {
    return List.copyOf(names);
  }

  /** Fresh platforms on {@code world}, native first. */
  public List<Platform> build(GuestSnapshot world) {
    List<Platform> out = new ArrayList<>();
    for (Builder builder : builders) {
      out.add(builder.build(world));
    }
    return out;
  }
}
