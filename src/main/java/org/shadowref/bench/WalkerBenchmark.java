package org.shadowref.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.shadowref.arch.Access;
import org.shadowref.arch.Addr;
import org.shadowref.arch.ControlRegisters;
import org.shadowref.arch.CpuModel;
import org.shadowref.arch.EntryBits;
import org.shadowref.arch.PagingMode;
import org.shadowref.memory.GuestPhysicalMemory;
import org.shadowref.memory.MachineMemory;
import org.shadowref.memory.P2m;
import org.shadowref.mmu.GuestTables;
import org.shadowref.mmu.PageTableBuilder;
import org.shadowref.mmu.WalkResult;
import org.shadowref.mmu.Walker;

/**
 * The cost of one page walk through guest tables (via the P2M), per paging mode: the unit every
 * engine pays on a fault and the native oracle pays on every access.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class WalkerBenchmark {
  private static final int PAGES = 256;
  private static final long FLAGS = EntryBits.P | EntryBits.RW | EntryBits.US | EntryBits.A | EntryBits.D;

  @Param({"2level", "pae", "4level"})
  public String mode = "4level";

  private GuestTables tables = new GuestTables(new GuestPhysicalMemory(new MachineMemory(1), new P2m(1)));
  private ControlRegisters regs = ControlRegisters.pagingOff();
  private final WalkResult result = new WalkResult();
  private int next;

  @Setup
  public void build() {
    PagingMode paging = PagingMode.fromCliName(mode);
    if (paging == null) {
      throw new IllegalArgumentException("unknown mode " + mode);
    }
    MachineMemory machine = new MachineMemory(PAGES + 16);
    P2m p2m = new P2m(PAGES + 16);
    for (int gfn = 0; gfn < PAGES + 16; gfn++) {
      p2m.mapRam(Addr.gfn(gfn), Addr.mfn(gfn), true);
    }
    GuestPhysicalMemory memory = new GuestPhysicalMemory(machine, p2m);
    long[] nextGfn = {PAGES};
    PageTableBuilder builder = new PageTableBuilder(memory, paging, () -> Addr.gfn(nextGfn[0]++));
    for (int page = 0; page < PAGES; page++) {
      builder.map(Addr.gva(page * Addr.PAGE_SIZE), Addr.gpaOf(Addr.gfn(page), 0), 1, FLAGS, FLAGS);
    }
    tables = new GuestTables(memory);
    regs = ControlRegisters.forMode(paging, builder.root());
  }

  @Benchmark
  public long walk() {
    next = (next + 1) & (PAGES - 1);
    Walker.walk(tables, regs, CpuModel.DEFAULT, Addr.gva(next * Addr.PAGE_SIZE), Access.USER_WRITE, false, result);
    return result.translated();
  }
}
