package org.shadowref.shadow.optimized;

import java.util.Arrays;
import org.checkerframework.checker.initialization.qual.UnderInitialization;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.arch.Access;
import org.shadowref.arch.Addr;
import org.shadowref.arch.ControlRegisters;
import org.shadowref.arch.PagingMode;
import org.shadowref.arch.PfErrorCode;
import org.shadowref.arch.qual.Gfn;
import org.shadowref.arch.qual.Gva;
import org.shadowref.arch.qual.Mfn;
import org.shadowref.memory.P2m;
import org.shadowref.mmu.PageTableMemory;
import org.shadowref.mmu.WalkResult;
import org.shadowref.mmu.Walker;
import org.shadowref.shadow.GuestMachine;
import org.shadowref.shadow.Vcpu;
import org.shadowref.shadow.core.Fault;
import org.shadowref.shadow.core.SeededBug;
import org.shadowref.shadow.core.Shadow;

/**
 * Xen's fast emulation ({@code SHOPT_FAST_EMULATION}, {@code last_emulated_frame}): a guest that
 * writes a page table once usually writes it again at once (filling a table, a string of PTE
 * updates). After an emulated store to a page table, the vCPU remembers the page it wrote and the
 * frame it landed in; its next supervisor write fault on that page (error code P|W) is emulated
 * straight away on that translation: no guest walk, no shadow chain, no fault classification.
 *
 * <p>The remembered translation is used only while it is exactly what the guest walk would give,
 * with nothing for the walk to write: when remembered, the walk for a supervisor write succeeded
 * with every A bit and the leaf's D bit already set, and every table it read was a shadowed page
 * table in sync (so write-protected: no store reaches it but through the engine). It is forgotten
 * when anything the walk read may change: a store through the engine to a frame the walk read, a
 * shadow of such a frame destroyed or let out of sync (stores to it would no longer trap), a P2M
 * change; and it is not used once the vCPU's control registers differ (CR3, modes, rights) or the
 * frame is no shadowed page table any more. Switch: {@link OptimizedConfig#fastEmulation}; the
 * remembered translations live in the {@link ShadowPool}.
 */
final class FastEmulation extends Heuristic {
  /** Levels a walk reads at most (PAE's PDPTE is read at level 3, at walk time). */
  private static final int MAX_TABLES = 4;

  /**
   * A vCPU's remembered translation: linear page {@code page} lands in machine frame {@code frame}
   * for a supervisor write under registers {@code regs}; {@code tables} are the machine frames of
   * the tables its walk read (-1 for levels it did not read). Each vCPU has one, refilled at each
   * emulated page-table store ({@link ShadowPool#remembering}), so remembering allocates nothing.
   */
  static final class Remembered {
    private long page;
    private @Mfn long frame;
    private final long[] tables = new long[MAX_TABLES];
    /** Until first filled (an empty translation is never held, so never compared). */
    private ControlRegisters regs = new ControlRegisters(0, 0, 0, 0, 0);

    long page() {
      return page;
    }

    @Mfn long frame() {
      return frame;
    }

    ControlRegisters regs() {
      return regs;
    }

    /** Whether the walk read the table in {@code mfn}. */
    boolean reads(@Mfn long mfn) {
      for (long table : tables) {
        if (table == mfn) {
          return true;
        }
      }
      return false;
    }

    void copyFrom(Remembered other) {
      page = other.page;
      frame = other.frame;
      System.arraycopy(other.tables, 0, tables, 0, MAX_TABLES);
      regs = other.regs; // immutable
    }

    long stableHash() {
      return ((page * 31 + frame) * 31 + Arrays.hashCode(tables)) * 31 + regs.hashCode();
    }
  }

  /** The walk that decides whether a translation may be remembered (reused). */
  private final WalkResult walk = new WalkResult();
  private final WriteSpotting tables = new WriteSpotting();

  FastEmulation(@UnderInitialization OptimizedEngine engine, OptimizedConfig config, GuestMachine guest, ShadowPool pool,
      Counters counters) {
    super(engine, config, guest, pool, counters);
  }

  /**
   * The remembered translation {@code fault} may be emulated on, or null: the fault is a
   * supervisor write to a present page (error code P|W exactly: a not-present, user, fetch or
   * reserved-bit fault needs the handler's full answer), outside event delivery, on the page the
   * vCPU remembered, under the same registers, into a frame that is still a shadowed page table.
   * A translation that no longer applies is forgotten.
   */
  @Nullable Remembered usable(Fault fault) {
    if (!config.fastEmulation() || fault.errorCode() != (PfErrorCode.P | PfErrorCode.W)
        || fault.duringEventInjection()) {
      return null;
    }
    int vcpu = fault.vcpu().id();
    Remembered remembered = pool.remembered(vcpu);
    if (remembered == null || remembered.page() != fault.va() >>> Addr.PAGE_SHIFT) {
      return null;
    }
    if (!sameRegisters(remembered.regs(), fault.vcpu().regs()) || !engine.isShadowedPageTable(remembered.frame())) {
      pool.setRemembered(vcpu, false);
      return null;
    }
    counters.fastEmulations++;
    return remembered;
  }

  private boolean sameRegisters(ControlRegisters then, ControlRegisters now) {
    if (config.has(SeededBug.FAST_EMULATION_IGNORES_CR3)) {
      return then.cr0() == now.cr0() && then.cr4() == now.cr4() && then.efer() == now.efer()
          && then.rflags() == now.rflags();
    }
    return then.equals(now);
  }

  /** The fast emulation on {@code remembered} could not be done: the vCPU forgets it. */
  void gaveUp(int vcpu) {
    pool.setRemembered(vcpu, false);
  }

  /**
   * vCPU {@code vcpu}'s store at {@code va} to the page table in {@code tableMfn} was emulated:
   * it remembers the page's translation if the walk for a supervisor write gives that frame,
   * writes nothing and reads only shadowed tables in sync; else it remembers none.
   */
  void afterTableWrite(Vcpu vcpu, @Gva long va, @Mfn long tableMfn) {
    if (!config.fastEmulation()) {
      return;
    }
    pool.setRemembered(vcpu.id(), false); // the old translation goes whether or not a new one comes
    if (remember(vcpu, va, tableMfn, pool.remembering(vcpu.id()))) {
      pool.setRemembered(vcpu.id(), true);
    }
  }

  /** Fills {@code into} with the translation of {@code va} if it may be remembered; returns whether it may. */
  private boolean remember(Vcpu vcpu, @Gva long va, @Mfn long tableMfn, Remembered into) {
    ControlRegisters regs = vcpu.regs();
    PagingMode mode = regs.pagingMode();
    if (mode == null) {
      return false;
    }
    tables.wouldWrite = false;
    Walker.walk(tables, regs, guest.cpu(), va, Access.SUPERVISOR_WRITE, true, walk);
    if (!walk.ok() || tables.wouldWrite || frameOf(Addr.gfnOf(Addr.gpa(walk.translated()))) != tableMfn) {
      return false;
    }
    Arrays.fill(into.tables, -1);
    for (int level = walk.leafLevel(); level <= mode.levels(); level++) {
      long table = frameOf(Addr.gfnOf(Addr.gpa(walk.entryAddress(level))));
      if (table < 0 || !engine.isShadowedPageTable(Addr.mfn(table))) {
        return false;
      }
      into.tables[level - 1] = table;
    }
    into.page = va >>> Addr.PAGE_SHIFT;
    into.frame = tableMfn;
    into.regs = regs;
    return true;
  }

  /** The machine frame of RAM guest frame {@code gfn}, or -1. */
  private long frameOf(@Gfn long gfn) {
    P2m p2m = guest.p2m();
    return p2m.type(gfn).isRam() ? p2m.mfn(gfn) : -1;
  }

  // ---------------------------------------------------------------------------------------------
  // What makes a remembered translation stale

  /** The engine wrote machine frame {@code mfn}: a translation whose walk read it is forgotten. */
  void written(@Mfn long mfn) {
    if (!config.has(SeededBug.FAST_EMULATION_MISSES_TABLE_WRITE)) {
      forgetReading(mfn);
    }
  }

  /**
   * {@code shadow} is being destroyed or its table let out of sync: stores to its guest frame may
   * stop trapping, so a translation whose walk read it is forgotten.
   */
  void unprotecting(Shadow shadow) {
    @Gfn long gfn = shadow.gfn();
    if (shadow.type().shadowsGuestFrame() && guest.p2m().type(gfn).isRam()) {
      forgetReading(guest.p2m().mfn(gfn));
    }
  }

  /** The table in {@code mfn} goes out of sync: stores to it no longer trap. */
  void unsynced(@Mfn long mfn) {
    forgetReading(mfn);
  }

  /** Every remembered translation goes (a P2M change). */
  void forgetAll() {
    for (int vcpu = 0; vcpu < guest.vcpuCount(); vcpu++) {
      pool.setRemembered(vcpu, false);
    }
  }

  private void forgetReading(@Mfn long mfn) {
    if (!pool.remembersAny()) {
      return;
    }
    for (int vcpu = 0; vcpu < guest.vcpuCount(); vcpu++) {
      Remembered remembered = pool.remembered(vcpu);
      if (remembered != null && remembered.reads(mfn)) {
        pool.setRemembered(vcpu, false);
      }
    }
  }

  /** The guest's tables for a walk that must write nothing: reads them, and notes any A/D update it would make. */
  private final class WriteSpotting implements PageTableMemory {
    boolean wouldWrite;

    @Override
    public long readEntry(long address, int size) {
      return guest.physical().read(Addr.gpa(address), size);
    }

    @Override
    public void writeEntry(long address, int size, long value) {
      wouldWrite = true;
    }
  }
}
