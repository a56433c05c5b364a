package org.shadowref.check.explore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.junit.jupiter.api.Test;
import org.shadowref.arch.Access;
import org.shadowref.arch.AccessKind;
import org.shadowref.arch.Addr;
import org.shadowref.arch.ControlRegisters;
import org.shadowref.arch.CpuModel;
import org.shadowref.arch.EntryBits;
import org.shadowref.arch.PagingMode;
import org.shadowref.check.trace.TraceFile;
import org.shadowref.check.trace.TraceReader;
import org.shadowref.check.trace.TraceWriter;
import org.shadowref.emulate.CpuState;
import org.shadowref.memory.MachineMemory;
import org.shadowref.memory.P2m;
import org.shadowref.mmu.AccessOutcome;
import org.shadowref.mmu.NativeMmu;
import org.shadowref.mmu.PageTableBuilder;
import org.shadowref.shadow.GuestMachine;
import org.shadowref.shadow.GuestOp;
import org.shadowref.shadow.OpResult;
import org.shadowref.shadow.Platform;
import org.shadowref.shadow.Vcpu;

/** The differential skeleton, with a small native-MMU platform standing in for the engine. */
class LockstepHarnessTest {
  static final long USER_RO = 0x400000;
  static final long KERNEL_RW = 0x600000;

  /** A guest run directly on the native MMU; with {@code ignoreWp} it forgets CR0.WP (a bug). */
  static final class MmuPlatform implements Platform {
    private final GuestMachine guest;
    private final boolean ignoreWp;

    MmuPlatform(GuestMachine guest, boolean ignoreWp) {
      this.guest = guest;
      this.ignoreWp = ignoreWp;
    }

    @Override
    public String name() {
      return ignoreWp ? "wp-blind" : "mmu";
    }

    @Override
    public OpResult apply(GuestOp op) {
      Vcpu vcpu = guest.vcpu(op.vcpu());
      if (op instanceof GuestOp.MemoryAccess access) {
        ControlRegisters regs = vcpu.regs();
        if (ignoreWp) {
          regs = regs.withCr0(regs.cr0() & ~ControlRegisters.CR0_WP);
        }
        AccessOutcome outcome = new NativeMmu(guest.physical(), guest.cpu())
            .translate(regs, access.va(), Access.of(access.kind(), access.user()));
        long value = 0;
        if (outcome.isOk()) {
          if (access.kind() == AccessKind.WRITE) {
            guest.machine().write(Addr.maddr(outcome.address()), access.size(), access.value());
          } else {
            value = guest.machine().read(Addr.maddr(outcome.address()), access.size());
          }
        }
        return OpResult.of(outcome, value);
      }
      if (op instanceof GuestOp.SetControl set) {
        vcpu.setRegs(new ControlRegisters(set.cr0(), vcpu.regs().cr3(), set.cr4(), set.efer(), set.rflags()));
        return OpResult.DONE;
      }
      if (op instanceof GuestOp.LoadCr3 load) {
        vcpu.setRegs(vcpu.regs().withCr3(load.cr3()));
        return OpResult.DONE;
      }
      if (op instanceof GuestOp.Execute) {
        return OpResult.invalid("not modelled here");
      }
      return OpResult.DONE; // no TLB: INVLPG and flushes change nothing
    }

    @Override
    public GuestMachine guest() {
      return guest;
    }

    @Override
    public Platform copy() {
      return new MmuPlatform(guest.copy(), ignoreWp);
    }

    @Override
    public long fingerprint() {
      return guest.guestFingerprint();
    }
  }

  /** A 4-level guest: a read-only user page and a writable kernel page; WP starts off. */
  static GuestMachine guest() {
    GuestMachine guest = new GuestMachine(new MachineMemory(8), identity(8), CpuModel.DEFAULT,
        new Vcpu[] {new Vcpu(0, ControlRegisters.pagingOff(), new CpuState(CpuState.Mode.LONG_64))}, 8);
    int[] next = {0};
    PageTableBuilder tables = new PageTableBuilder(guest.physical(), PagingMode.FOUR_LEVEL, () -> Addr.gfn(next[0]++));
    long directory = EntryBits.P | EntryBits.RW | EntryBits.US;
    tables.map(Addr.gva(USER_RO), Addr.gpa(0x6000), 1, EntryBits.P | EntryBits.US, directory);
    tables.map(Addr.gva(KERNEL_RW), Addr.gpa(0x7000), 1, EntryBits.P | EntryBits.RW, directory);
    guest.vcpu(0).setRegs(ControlRegisters.forMode(PagingMode.FOUR_LEVEL, tables.root()));
    return guest;
  }

  private static P2m identity(int frames) {
    P2m p2m = new P2m(frames);
    for (int gfn = 0; gfn < frames; gfn++) {
      p2m.mapRam(Addr.gfn(gfn), Addr.mfn(gfn), true);
    }
    return p2m;
  }

  static final class WpModel extends LockstepHarness {
    private final boolean bug;
    private final OpMenu menu;

    WpModel(boolean bug) {
      this.bug = bug;
      ControlRegisters off = ControlRegisters.forMode(PagingMode.FOUR_LEVEL, 0);
      menu = OpMenu.builder(1)
          .accesses(new long[] {USER_RO, KERNEL_RW}, AccessKind.READ, AccessKind.WRITE)
          .control(off.withCr0(off.cr0() | ControlRegisters.CR0_WP))
          .control(off)
          .build();
    }

    @Override
    protected Lockstep start(Choices choices, Events events) {
      GuestMachine guest = guest();
      return new Lockstep(new MmuPlatform(guest.copy(), bug), new MmuPlatform(guest, false));
    }

    @Override
    protected @Nullable GuestOp nextOp(Lockstep state, Choices choices, Events events) {
      GuestOp op = menu.choose(choices);
      // Reads are enabled only for user mode, to show skipping: supervisor reads are left out.
      if (op instanceof GuestOp.MemoryAccess access && access.kind() == AccessKind.READ && !access.user()) {
        return null;
      }
      return op;
    }

    @Override
    protected void afterOp(Lockstep state, GuestOp op, OpResult result, Events events) {
      events.cover(result.status().name());
    }
  }

  @Test
  void agreeingPlatformsExploreCleanly() {
    ExplorationReport report = Explorer.explore(new WpModel(false), ExplorerOptions.defaults());
    assertTrue(report.violations().isEmpty(), () -> String.valueOf(report.firstViolation()));
    assertTrue(report.exhausted());
    // WP on/off times the A/D bits the accesses can set: more than the initial state.
    assertTrue(report.states() > 4, "states: " + report.states());
    assertTrue(report.coverage().count("OK") > 0 && report.coverage().count("GUEST_FAULT") > 0);
  }

  @Test
  void aDisagreementIsReportedWithTheShortestTraceOfOperations() throws Exception {
    ExplorationReport report = Explorer.explore(new WpModel(true), ExplorerOptions.defaults());
    Trace trace = report.firstViolation();
    assertNotNull(trace);
    assertEquals(LockstepHarness.SAME_RESULT, trace.property());
    List<GuestOp> ops = trace.ops();
    assertEquals(2, ops.size(), trace.render());
    assertTrue(ops.get(0) instanceof GuestOp.SetControl, "first switch WP on");
    GuestOp.MemoryAccess write = (GuestOp.MemoryAccess) ops.get(1);
    assertEquals(USER_RO, write.va());
    assertEquals(AccessKind.WRITE, write.kind());
    assertTrue(!write.user(), "a supervisor write to a read-only page");

    TraceFile file = TraceReader.read(TraceWriter.toJson(trace.toFile("WpModel", "")), "wp.json");
    assertEquals(ops, file.ops());
    assertNotNull(file.expected());
    assertEquals(OpResult.Status.GUEST_FAULT, file.expected().get(1).status(), "the oracle's result is expected");
    assertNotNull(file.world());
    assertEquals(null, file.world().build().firstGuestDifference(guest()), "the world is the initial guest");
  }

  @Test
  void theMenuCountsItsOperations() {
    OpMenu menu = OpMenu.builder(2)
        .accesses(new long[] {0x1000, 0x2000})
        .stores(new long[] {0x3000}, new long[] {0, 7}, 8)
        .cr3Loads(0x1000)
        .invlpgs(0x1000)
        .flushes()
        .build();
    // Per vcpu: 2 addresses x 3 kinds x 2 privileges + 2 stores + cr3 + invlpg + flush = 17.
    assertEquals(34, menu.size());
    ExplorationReport report = Explorer.explore(new MenuEcho(menu), ExplorerOptions.defaults());
    assertEquals(34, report.transitions(), "each operation is one transition out of the one state");
  }

  /** A model whose only state is nothing: it just enumerates the menu once. */
  static final class MenuEcho implements Harness<int[]> {
    private final OpMenu menu;

    MenuEcho(OpMenu menu) {
      this.menu = menu;
    }

    @Override
    public int[] initial(Choices choices, Events events) {
      return new int[1];
    }

    @Override
    public void step(int[] state, Choices choices, Events events) {
      menu.choose(choices);
    }

    @Override
    public void check(int[] state, Events events) {}

    @Override
    public int[] copy(int[] state) {
      return state.clone();
    }

    @Override
    public void fingerprint(int[] state, Fingerprint into) {
      into.add(state[0]);
    }
  }
}
