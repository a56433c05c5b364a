package org.shadowref.check.diff;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.arch.AccessKind;
import org.shadowref.arch.Addr;
import org.shadowref.arch.EntryBits;
import org.shadowref.arch.PagingMode;
import org.shadowref.check.gen.GeneratedCase;
import org.shadowref.check.gen.Guests;
import org.shadowref.check.invariants.InvariantRegistry;
import org.shadowref.emulate.InstructionExecutor;
import org.shadowref.emulate.SdmExecutor;
import org.shadowref.emulate.X86Emulator;
import org.shadowref.mmu.PageTableBuilder;
import org.shadowref.shadow.GuestOp;
import org.shadowref.shadow.World;
import org.shadowref.shadow.core.SeededBug;
import org.shadowref.shadow.optimized.OptimizedConfig;
import org.shadowref.shadow.optimized.OptimizedEngine;

/**
 * Runs of the optimized engine with out-of-sync shadows (its PRODUCTION configuration) judged by
 * {@link TlbOracle}, step by step: every result one native with a TLB could give, the guest's
 * memory as native's, every invariant kept. Two sources of guests: the generated ones, and a busy
 * table that keeps one l1 out of sync while two vCPUs use its pages.
 */
public final class OutOfSyncRuns {
  private static final InstructionExecutor CPU = new SdmExecutor();
  private static final InstructionExecutor EMULATOR = new X86Emulator();

  /** What the runs so far exercised: steps with a table out of sync, accesses served stale. */
  public static final class Exercised {
    private long unsyncedSteps;
    private long staleUses;
    private long steps;

    public long unsyncedSteps() {
      return unsyncedSteps;
    }

    public long staleUses() {
      return staleUses;
    }

    public long steps() {
      return steps;
    }
  }

  private OutOfSyncRuns() {}

  /**
   * One generated case (seed {@code seed}, up to {@code ops} operations) with {@code mutant}
   * seeded (or none): the first complaint, or null. Instructions are left out (TlbOracle
   * cannot replay them), and seven in eight invalidations, so tables stay out of sync long
   * enough to matter.
   */
  public static @Nullable String generated(long seed, int ops, @Nullable SeededBug mutant, Exercised exercised) {
    Random random = new Random(seed);
    GeneratedCase generated = Guests.generate(random, ops, null);
    List<GuestOp> kept = new ArrayList<>();
    for (GuestOp op : generated.ops()) {
      boolean invalidates = op instanceof GuestOp.LoadCr3 || op instanceof GuestOp.Invlpg
          || op instanceof GuestOp.FlushTlb || op instanceof GuestOp.SetControl;
      if (!(op instanceof GuestOp.Execute) && !(invalidates && random.nextInt(8) != 0)) {
        kept.add(op);
      }
    }
    TlbOracle oracle = new TlbOracle(generated.world().build(), CPU);
    OptimizedEngine engine = new OptimizedEngine(generated.world().build(),
        OptimizedConfig.PRODUCTION.withBug(mutant), CPU, EMULATOR);
    return run(oracle, engine, kept, exercised);
  }

  private static @Nullable String run(TlbOracle oracle, OptimizedEngine engine, List<GuestOp> ops,
      Exercised exercised) {
    for (GuestOp op : ops) {
      String complaint;
      try {
        complaint = oracle.judge(op, engine.apply(op), engine.guest());
      } catch (RuntimeException crash) {
        complaint = "'" + op + "': the engine threw " + crash;
      }
      if (complaint == null) {
        List<String> violations = InvariantRegistry.violations(engine);
        complaint = violations.isEmpty() ? null : "after '" + op + "': " + violations.get(0);
      }
      if (complaint != null) {
        return complaint;
      }
      exercised.steps++;
      exercised.unsyncedSteps += engine.state().outOfSyncCount() > 0 ? 1 : 0;
    }
    exercised.staleUses += oracle.staleUses();
    return null;
  }

  private static final long RWU = EntryBits.P | EntryBits.RW | EntryBits.US;
  private static final long DATA_VA = 0x0040_2000L;
  private static final long WINDOW = 0x00C0_0000L;

  /**
   * A guest built to keep one l1 table busy (seed {@code seed}, in a paging mode it picks): four
   * data pages in it, a window onto it, and two vCPUs that read, write and fetch the pages while
   * vCPU 0 keeps rewriting the table's entries (supervisor stores, so the table goes out of sync)
   * and now and then invalidates. The first complaint, or null.
   */
  public static @Nullable String busyTable(long seed, @Nullable SeededBug mutant, Exercised exercised) {
    Random random = new Random(seed);
    PagingMode mode = PagingMode.values()[random.nextInt(3)];
    World world = new World(2, 32, 32);
    PageTableBuilder tables = world.pageTables(mode);
    long[] frames = new long[4];
    for (int i = 0; i < frames.length; i++) {
      frames[i] = world.allocateFrame();
      tables.map(Addr.gva(DATA_VA + i * 0x1000L), Addr.gpaOf(Addr.gfn(frames[i]), 0), 1, RWU | EntryBits.A, RWU);
    }
    long l1 = tables.entryAddressFor(Addr.gva(DATA_VA), 1) & ~0xFFFL;
    tables.map(Addr.gva(WINDOW), Addr.gpa(l1), 1, RWU | EntryBits.A | EntryBits.D, RWU);
    world.startPaging(tables);
    List<GuestOp> ops = new ArrayList<>();
    for (int step = 0; step < 60; step++) {
      int vcpu = random.nextInt(3) == 0 ? 1 : 0;
      long va = DATA_VA + random.nextInt(4) * 0x1000L;
      int roll = random.nextInt(20);
      if (roll < 8) {
        ops.add(new GuestOp.MemoryAccess(vcpu, Addr.gva(va + 8L * random.nextInt(512)),
            AccessKind.values()[random.nextInt(3)], random.nextInt(4) == 0, 4, random.nextInt()));
      } else if (roll < 17) {
        long entry = Addr.gpaOf(Addr.gfn(frames[random.nextInt(4)]), 0) | EntryBits.P
            | (random.nextInt(16) << 1); // RW, US, PWT, PCD at random
        entry |= random.nextBoolean() ? EntryBits.A : 0;
        entry |= random.nextBoolean() ? EntryBits.D : 0;
        entry = random.nextInt(6) == 0 ? 0 : entry;
        long at = WINDOW + (long) mode.entryBytes() * (((va >>> 12) & (mode == PagingMode.TWO_LEVEL ? 1023 : 511)));
        ops.add(new GuestOp.MemoryAccess(0, Addr.gva(at), AccessKind.WRITE, false, mode.entryBytes(), entry));
      } else if (roll == 17) {
        ops.add(new GuestOp.Invlpg(vcpu, Addr.gva(va)));
      } else if (roll == 18) {
        ops.add(new GuestOp.LoadCr3(vcpu, world.machine().vcpu(vcpu).regs().cr3()));
      } else {
        ops.add(new GuestOp.FlushTlb(vcpu));
      }
    }
    TlbOracle oracle = new TlbOracle(world.machine().copy(), CPU);
    OptimizedEngine engine = new OptimizedEngine(world.machine().copy(),
        OptimizedConfig.PRODUCTION.withBug(mutant), CPU, EMULATOR);
    String complaint = run(oracle, engine, ops, exercised);
    return complaint == null ? null : mode + ": " + complaint;
  }
}
