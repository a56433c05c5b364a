package org.shadowref.check.coverage;

import java.util.Arrays;
import java.util.List;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.arch.Access;
import org.shadowref.arch.AccessKind;
import org.shadowref.arch.Addr;
import org.shadowref.arch.ControlRegisters;
import org.shadowref.arch.EntryBits;
import org.shadowref.arch.PagingMode;
import org.shadowref.arch.ReservedBits;
import org.shadowref.arch.qual.Gva;
import org.shadowref.arch.qual.Maddr;
import org.shadowref.check.coverage.CoverageModel.AdAccess;
import org.shadowref.check.coverage.CoverageModel.AdEntry;
import org.shadowref.check.coverage.CoverageModel.AdPath;
import org.shadowref.check.coverage.CoverageModel.Change;
import org.shadowref.check.coverage.CoverageModel.ControlBit;
import org.shadowref.check.coverage.CoverageModel.Cr3Offset;
import org.shadowref.check.coverage.CoverageModel.CompareOutcome;
import org.shadowref.check.coverage.CoverageModel.CrossSide;
import org.shadowref.check.coverage.CoverageModel.Engine;
import org.shadowref.check.coverage.CoverageModel.EntrySize;
import org.shadowref.check.coverage.CoverageModel.Form;
import org.shadowref.check.coverage.CoverageModel.FrameUse;
import org.shadowref.check.coverage.CoverageModel.Halves;
import org.shadowref.check.coverage.CoverageModel.HalvesShape;
import org.shadowref.check.coverage.CoverageModel.IndexClass;
import org.shadowref.check.coverage.CoverageModel.MaxPhys;
import org.shadowref.check.coverage.CoverageModel.OosChange;
import org.shadowref.check.coverage.CoverageModel.PoolReclaim;
import org.shadowref.check.coverage.CoverageModel.PoolSite;
import org.shadowref.check.coverage.CoverageModel.PrefetchEnd;
import org.shadowref.check.coverage.CoverageModel.PrefetchKind;
import org.shadowref.check.coverage.CoverageModel.RepStos;
import org.shadowref.check.coverage.CoverageModel.ReservedClass;
import org.shadowref.check.coverage.CoverageModel.ResyncTrigger;
import org.shadowref.check.coverage.CoverageModel.Role;
import org.shadowref.check.coverage.CoverageModel.Sharing;
import org.shadowref.check.coverage.CoverageModel.Shadowing;
import org.shadowref.check.coverage.CoverageModel.WalkSeen;
import org.shadowref.check.diff.StepObserver;
import org.shadowref.check.invariants.ShadowScan;
import org.shadowref.emulate.CpuState;
import org.shadowref.emulate.EmulationResult;
import org.shadowref.emulate.InstructionExecutor;
import org.shadowref.emulate.LinearMemory;
import org.shadowref.emulate.SdmExecutor;
import org.shadowref.mmu.AccessOutcome;
import org.shadowref.mmu.FaultKind;
import org.shadowref.mmu.GuestTables;
import org.shadowref.mmu.NativeMmu;
import org.shadowref.mmu.WalkResult;
import org.shadowref.mmu.Walker;
import org.shadowref.shadow.GuestMachine;
import org.shadowref.shadow.GuestOp;
import org.shadowref.shadow.OpResult;
import org.shadowref.shadow.Platform;
import org.shadowref.shadow.ShadowEvents;
import org.shadowref.shadow.entry.MagicEntries;
import org.shadowref.shadow.invariant.InvariantIds;
import org.shadowref.shadow.invariant.ShadowTable;
import org.shadowref.shadow.invariant.ShadowView;
import org.shadowref.shadow.optimized.OptimizedEngine;
import org.shadowref.shadow.reference.ReferenceEngine;

/**
 * Classifies a lock-step run into the cells of {@link CoverageModel}, from outside the engines
 * wherever it can: the operation, native's guest state before and after it, and native's own
 * walk of the guest tables ({@link Walker}, run here without setting A/D). Instructions run a
 * second time on the independent SDM executor over a memory that records and discards every
 * write. Only what happens inside an engine and nowhere else (prefetch, out-of-sync resyncs,
 * pool reclaims, the shadows the invariants were judged on) comes through hooks.
 */
public final class Classifier implements StepObserver, ShadowEvents {
  private static final InstructionExecutor CPU = new SdmExecutor();
  private static final long ZF = 1L << 6;
  /** Translations the dry run keeps (an instruction touches a few pages). */
  private static final int MAX_TRANSLATIONS = 64;
  /** Bytes written the dry run keeps (the SDM executor writes byte by byte): a page and a little more. */
  private static final int MAX_WRITES = 4096 + 64;

  private final Coverage coverage;
  private List<Platform> platforms = List.of();
  private @Nullable GuestMachine guest;
  private @Nullable GuestTables tables;
  private @Nullable TableMap map;
  private final WalkResult walk = new WalkResult();
  private @Nullable GuestOp current;
  private @Nullable ControlRegisters before;
  private ShadowEvents.@Nullable ResyncCause cause;
  private final boolean[] invariantsDone = new boolean[Engine.values().length];
  // The dry run's translations (page of va, machine page, gfn) and writes (va, size).
  private final long[] vaPages = new long[MAX_TRANSLATIONS];
  private final long[] maddrPages = new long[MAX_TRANSLATIONS];
  private final long[] gfns = new long[MAX_TRANSLATIONS];
  private int translations;
  private final long[] writeVas = new long[MAX_WRITES];
  private final long[] writeGfns = new long[MAX_WRITES];
  private final int[] writeSizes = new int[MAX_WRITES];
  private int writes;
  private long writeDestination;
  // Every byte the dry run wrote, kept or not: pages crossed, and whether tables were written.
  private long bytesWritten;
  private long firstWritePage;
  private boolean crossedPage;
  private boolean tableOnFirstPage;
  private boolean tableOnLaterPage;

  public Classifier(Coverage coverage) {
    this.coverage = coverage;
  }

  @Override
  public void started(List<Platform> started) {
    platforms = List.copyOf(started);
    GuestMachine machine = started.get(0).guest();
    guest = machine;
    tables = new GuestTables(machine.physical());
    TableMap fresh = new TableMap(machine);
    for (int i = 0; i < machine.vcpuCount(); i++) {
      fresh.noteRoot(machine.vcpu(i).regs());
    }
    map = fresh;
    for (Platform platform : started) {
      if (platform instanceof OptimizedEngine optimized) {
        optimized.setEvents(this);
      }
    }
  }

  private GuestMachine guest() {
    GuestMachine machine = guest;
    if (machine == null) {
      throw new IllegalStateException("the classifier saw an operation before the platforms started");
    }
    return machine;
  }

  private TableMap map() {
    TableMap tableMap = map;
    if (tableMap == null) {
      throw new IllegalStateException("the classifier saw an operation before the platforms started");
    }
    return tableMap;
  }

  // ----- Before and after each operation ---------------------------------------------------------

  @Override
  public void before(GuestOp op) {
    current = op;
    cause = null;
    ControlRegisters regs = guest().vcpu(op.vcpu()).regs();
    before = regs;
    PagingMode mode = regs.pagingMode();
    for (int p = 1; p < platforms.size(); p++) {
      Shadowing shadowing = shadowing(platforms.get(p), mode);
      if (shadowing != null) {
        coverage.hit(CoverageModel.MODES.cell(mode == null ? 0 : mode.ordinal() + 1, shadowing.ordinal()));
      }
    }
    if (op instanceof GuestOp.MemoryAccess access) {
      access(access, regs);
    } else if (op instanceof GuestOp.Execute execute) {
      instruction(execute, regs);
    } else if (op instanceof GuestOp.Raced raced) {
      // Native performs the racing store first; the access then walks what it left, which the
      // classifier's map of the tables no longer describes until the next operation.
      access(raced.store(), guest().vcpu(raced.store().vcpu()).regs());
    }
  }

  @Override
  public void after(GuestOp op, OpResult oracle) {
    ControlRegisters regs = guest().vcpu(op.vcpu()).regs();
    if (op instanceof GuestOp.LoadCr3) {
      map().noteRoot(regs);
    } else if (op instanceof GuestOp.SetControl) {
      ControlRegisters old = before;
      if (old != null && old.pagingEnabled() && regs.pagingEnabled()) {
        control(ControlBit.NXE, old.nxe(), regs.nxe());
        control(ControlBit.PSE, old.pse(), regs.pse());
        control(ControlBit.WP, old.wp(), regs.wp());
        control(ControlBit.SMEP, old.smep(), regs.smep());
        control(ControlBit.SMAP, old.smap(), regs.smap());
        control(ControlBit.AC, old.ac(), regs.ac());
      }
      map().noteRoot(regs);
    }
    current = null;
  }

  private void control(ControlBit bit, boolean was, boolean is) {
    if (was != is) {
      coverage.hit(CoverageModel.CONTROL.cell(bit.ordinal(), (is ? Change.SET : Change.CLEARED).ordinal()));
    }
  }

  /** The shadow mode {@code platform} gives a guest in {@code mode}, or null for a platform that does not shadow. */
  static @Nullable Shadowing shadowing(Platform platform, @Nullable PagingMode mode) {
    boolean twoOnTwo;
    if (platform instanceof ReferenceEngine reference) {
      twoOnTwo = reference.config().twoOnTwo();
    } else if (platform instanceof OptimizedEngine optimized) {
      twoOnTwo = optimized.config().twoOnTwo();
    } else {
      return null;
    }
    if (mode == null) {
      return Shadowing.ONE_TO_ONE;
    }
    switch (mode) {
      case TWO_LEVEL:
        return twoOnTwo ? Shadowing.TWO_ON_TWO : Shadowing.TWO_ON_THREE;
      case PAE:
        return Shadowing.THREE_ON_THREE;
      default:
        return Shadowing.FOUR_ON_FOUR;
    }
  }

  // ----- Plain accesses ----------------------------------------------------------------------------

  private void access(GuestOp.MemoryAccess op, ControlRegisters regs) {
    Access access = Access.of(op.kind(), op.user());
    long gfn = translate(regs, op.va(), access, AdPath.ACCESS);
    if (gfn >= 0 && op.kind() == AccessKind.WRITE) {
      int roles = map().roles(gfn);
      if (roles != 0) {
        store(Form.ACCESS, roles, op.size(), op.va());
        map().invalidate();
      }
    }
  }

  /**
   * Walks {@code va} as native would (without A/D) and classes the walk; returns the gfn the
   * access reaches, or -1 when the walk faults.
   */
  private long translate(ControlRegisters regs, @Gva long va, Access access, AdPath path) {
    PagingMode mode = regs.pagingMode();
    long gpa;
    if (mode == null) {
      gpa = va & 0xFFFF_FFFFL;
    } else {
      GuestTables guestTables = tables;
      if (guestTables == null) {
        return -1;
      }
      Walker.walk(guestTables, regs, guest().cpu(), va, access, false, walk);
      walked(regs, mode, path);
      if (!walk.ok()) {
        return -1;
      }
      gpa = walk.translated();
    }
    long gfn = gpa >>> Addr.PAGE_SHIFT;
    coverage.hit(CoverageModel.P2M.cell(FrameUse.DATA.ordinal(), guest().p2m().type(Addr.gfn(gfn)).ordinal()));
    if (mode != null && map().roles(gfn) != 0) {
      coverage.hit(CoverageModel.SHARING.cell(Sharing.MAPPED_AS_DATA.ordinal()));
      for (int level = mode.levels(); level >= walk.stopLevel(); level--) {
        if (walk.entryAddress(level) >>> Addr.PAGE_SHIFT == gfn) {
          coverage.hit(CoverageModel.SHARING.cell(Sharing.SELF_MAP.ordinal()));
          break;
        }
      }
    }
    return gfn;
  }

  /** Classes the walk in {@link #walk}: indices, roles, table frames, reserved bits, A/D. */
  private void walked(ControlRegisters regs, PagingMode mode, AdPath path) {
    int flavour = mode.ordinal();
    int maxPhysAddr = guest().cpu().maxPhysAddr();
    int phys = MaxPhys.ordinalOf(maxPhysAddr);
    if (phys >= 0) {
      coverage.hit(CoverageModel.MAXPHYADDR.cell(flavour, phys, WalkSeen.ANY_WALK.ordinal()));
    }
    if (mode == PagingMode.PAE) {
      long offset = regs.cr3() & 0xFE0;
      Cr3Offset cr3 = offset == 0 ? Cr3Offset.PAGE_ALIGNED : offset == 0xFE0 ? Cr3Offset.LAST_SLOT : Cr3Offset.INSIDE;
      coverage.hit(CoverageModel.CR3.cell(cr3.ordinal()));
    }
    for (int level = mode.levels(); level >= walk.stopLevel(); level--) {
      long address = walk.entryAddress(level);
      long gfn = address >>> Addr.PAGE_SHIFT;
      coverage.hit(CoverageModel.P2M.cell(FrameUse.TABLE.ordinal(), guest().p2m().type(Addr.gfn(gfn)).ordinal()));
      boolean pdpt = mode == PagingMode.PAE && level == 3;
      int index = pdpt ? (int) ((address & 0x1F) >>> 3) : (int) (Addr.pageOffset(address) / mode.entryBytes());
      int entries = pdpt ? 4 : mode.entriesPerTable(level);
      coverage.hit(CoverageModel.INDEX.cell(flavour, pdpt ? Role.PDPT.ordinal() : level - 1, indexClass(index, entries)));
      sharing(gfn);
    }
    FaultKind fault = walk.fault();
    if (fault == FaultKind.RESERVED_BIT) {
      reserved(regs, mode, walk.stopLevel(), walk.entry(walk.stopLevel()), maxPhysAddr);
      if (phys >= 0) {
        coverage.hit(CoverageModel.MAXPHYADDR.cell(flavour, phys, WalkSeen.RESERVED_FAULT.ordinal()));
      }
    }
    if (!walk.ok()) {
      return;
    }
    int leaf = walk.stopLevel();
    if (leaf > 1) {
      int entries = mode == PagingMode.TWO_LEVEL ? 1024 : 512;
      int index = (int) ((walk.va() >>> Addr.PAGE_SHIFT) & (entries - 1));
      coverage.hit(CoverageModel.INDEX.cell(flavour, Role.SPLINTER.ordinal(), indexClass(index, entries)));
    }
    int kind = (walk.access().isWrite() ? AdAccess.WRITE : AdAccess.READ).ordinal();
    for (int level = mode.levels(); level >= leaf; level--) {
      if (mode == PagingMode.PAE && level == 3) {
        continue; // PDPTEs have no A bit
      }
      long entry = walk.entry(level);
      int a = (entry & EntryBits.A) != 0 ? 1 : 0;
      int d = (entry & EntryBits.D) != 0 ? 1 : 0;
      if (level > leaf) {
        coverage.hit(CoverageModel.ACCESSED_DIRTY.cell(path.ordinal(), AdEntry.TABLE.ordinal(), a, kind));
      } else {
        AdEntry entryKind = leaf > 1 ? AdEntry.LARGE_LEAF : AdEntry.SMALL_LEAF;
        coverage.hit(CoverageModel.ACCESSED_DIRTY.cell(path.ordinal(), entryKind.ordinal(), a + 2 * d, kind));
      }
    }
  }

  static int indexClass(int index, int entries) {
    if (index == 0) {
      return IndexClass.FIRST.ordinal();
    }
    if (index == entries - 1) {
      return IndexClass.LAST.ordinal();
    }
    return index >= 512 ? IndexClass.UPPER_HALF.ordinal() : IndexClass.MIDDLE.ordinal();
  }

  private void sharing(long gfn) {
    int roles = map().roles(gfn);
    if (roles == 0) {
      return;
    }
    int levels = 0;
    int formats = 0;
    for (int format = 0; format < 3; format++) {
      int bits = (roles >>> (format * TableMap.ROLE_BITS)) & ((1 << TableMap.ROLE_BITS) - 1);
      levels |= bits;
      formats += bits != 0 ? 1 : 0;
    }
    if (Integer.bitCount(levels) > 1) {
      coverage.hit(CoverageModel.SHARING.cell(Sharing.TWO_LEVELS.ordinal()));
    }
    if (formats > 1) {
      coverage.hit(CoverageModel.SHARING.cell(Sharing.TWO_FLAVOURS.ordinal()));
    }
    if (Integer.bitCount(map().roots(gfn)) > 1) {
      coverage.hit(CoverageModel.SHARING.cell(Sharing.TWO_ADDRESS_SPACES.ordinal()));
    }
  }

  /** Classes every reserved bit set in {@code entry}, which stopped a walk at {@code level}. */
  private void reserved(ControlRegisters regs, PagingMode mode, int level, long entry, int maxPhysAddr) {
    boolean large = level > 1 && (entry & EntryBits.PS) != 0 && mode.canMapLargePage(level, regs.pse());
    long set = entry & ReservedBits.mask(mode, level, large, regs.nxe(), maxPhysAddr);
    for (long rest = set; rest != 0; rest &= rest - 1) {
      int bit = Long.numberOfTrailingZeros(rest);
      for (ReservedClass c : reservedClasses(mode, level, large, bit, maxPhysAddr)) {
        coverage.hit(CoverageModel.RESERVED.cell(mode.ordinal(), c.ordinal()));
      }
    }
  }

  /** The classes of reserved bit {@code bit} of an entry at {@code level}. */
  static ReservedClass[] reservedClasses(PagingMode mode, int level, boolean large, int bit, int maxPhysAddr) {
    if (mode == PagingMode.TWO_LEVEL) {
      // Only a 4 MiB PDE has reserved bits: bits 21:13 carry address bits 40:32 (PSE-36, capped at 40).
      int address = bit + 19;
      ReservedClass position = addressClass(address, Math.min(maxPhysAddr, 40));
      return bit == 21 ? new ReservedClass[] {ReservedClass.BIT21_OF_4M_PDE, position} : new ReservedClass[] {position};
    }
    if (mode == PagingMode.PAE && level == 3) {
      if (bit == 7) {
        return new ReservedClass[] {ReservedClass.PDPTE_RESERVED, ReservedClass.PS_WHERE_RESERVED};
      }
      if (bit < 12 || bit == 63) {
        return new ReservedClass[] {ReservedClass.PDPTE_RESERVED};
      }
    }
    if (bit == 63) {
      return new ReservedClass[] {ReservedClass.NX_WITHOUT_NXE};
    }
    if (bit == 7) {
      return new ReservedClass[] {ReservedClass.PS_WHERE_RESERVED};
    }
    if (bit >= 52) {
      return new ReservedClass[] {ReservedClass.HIGH_52_62};
    }
    if (large && bit < maxPhysAddr && bit < 30) {
      return new ReservedClass[] {ReservedClass.LARGE_PAGE_LOW};
    }
    ReservedClass position = addressClass(bit, maxPhysAddr);
    return bit == 51 && position != ReservedClass.BIT_51
        ? new ReservedClass[] {ReservedClass.BIT_51, position} : new ReservedClass[] {position};
  }

  private static ReservedClass addressClass(int address, int maxPhysAddr) {
    if (address == maxPhysAddr) {
      return ReservedClass.MAXPHYADDR;
    }
    if (address == maxPhysAddr + 1) {
      return ReservedClass.MAXPHYADDR_PLUS_1;
    }
    return address == 51 ? ReservedClass.BIT_51 : ReservedClass.ABOVE;
  }

  // ----- Stores ----------------------------------------------------------------------------------

  /** A store of {@code bytes} at {@code va}, inside one frame that is a table in {@code roles}. */
  private void store(Form form, int roles, int bytes, long va) {
    if (Integer.bitCount(bytes) != 1 || bytes > 16) {
      return;
    }
    int width = CoverageModel.Width.ordinalOf(bytes);
    int formats = roles;
    int fourByte = formats & ((1 << TableMap.ROLE_BITS) - 1);
    int eightByte = formats >>> TableMap.ROLE_BITS;
    if (fourByte != 0) {
      coverage.hit(CoverageModel.STORE.cell(form.ordinal(), EntrySize.FOUR.ordinal(), width, (int) (va & 3)));
    }
    if (eightByte != 0) {
      coverage.hit(CoverageModel.STORE.cell(form.ordinal(), EntrySize.EIGHT.ordinal(), width, (int) (va & 7)));
    }
  }

  /**
   * The block's instructions in turn, each dry-run on the registers the one before left: each
   * classified as a store, and the block as a whole for an entry written as two 4-byte halves.
   */
  private void instruction(GuestOp.Execute op, ControlRegisters regs) {
    GuestMachine machine = guest();
    CpuState state = machine.vcpu(op.vcpu()).cpu().copy();
    for (int i = 0; i < GuestOp.Execute.GPRS; i++) {
      state.setGpr(i, op.gpr(i));
    }
    byte[] block = op.code();
    Halves halves = regs.pagingMode() == PagingMode.PAE ? Halves.PAE : Halves.NOT_PAE;
    long firstHalf = -1; // the table store of 4 bytes that began an entry, if any
    int firstHalfAt = -1;
    for (int offset = 0, n = 0; offset < block.length; n++) {
      byte[] code = offset == 0 ? block : Arrays.copyOfRange(block, offset, block.length);
      EmulationResult result = oneInstruction(code, state, regs, op.user());
      if (result.kind() != EmulationResult.Kind.DONE) {
        if (firstHalf >= 0 && result.kind() == EmulationResult.Kind.MEMORY_STOP) {
          coverage.hit(CoverageModel.HALVES.cell(halves.ordinal(), HalvesShape.LATER_INSTRUCTION_STOPS.ordinal()));
        }
        return;
      }
      long va = writes > 0 ? writeVas[0] : -1;
      for (int w = 1; w < writes; w++) {
        va = Math.min(va, writeVas[w]);
      }
      // The executor may store byte by byte: four bytes from one address, in a table.
      if (bytesWritten == 4 && writes > 0 && spanEnd() - va == 4 && map().roles(writeGfns[0]) != 0) {
        if (firstHalf >= 0 && (va ^ firstHalf) == 4 && (va & ~7L) == (firstHalf & ~7L)) {
          HalvesShape shape = (firstHalf & 4) != 0 ? HalvesShape.HIGH_FIRST : HalvesShape.LOW_FIRST;
          coverage.hit(CoverageModel.HALVES.cell(halves.ordinal(), shape.ordinal()));
          if (n - firstHalfAt > 1) {
            coverage.hit(CoverageModel.HALVES.cell(halves.ordinal(), HalvesShape.INSTRUCTION_BETWEEN.ordinal()));
          }
          firstHalf = -1;
        } else {
          firstHalf = va;
          firstHalfAt = n;
        }
      }
      offset += result.length();
    }
  }

  /** The end of the bytes the last dry-run instruction wrote. */
  private long spanEnd() {
    long end = Long.MIN_VALUE;
    for (int w = 0; w < writes; w++) {
      end = Math.max(end, writeVas[w] + writeSizes[w]);
    }
    return end;
  }

  /** Dry-runs the instruction at the start of {@code code} and classifies its stores; returns how it ended. */
  private EmulationResult oneInstruction(byte[] code, CpuState state, ControlRegisters regs, boolean user) {
    translations = 0;
    writes = 0;
    writeDestination = -1;
    bytesWritten = 0;
    crossedPage = false;
    tableOnFirstPage = false;
    tableOnLaterPage = false;
    EmulationResult result = CPU.execute(state, code, new DryRun(regs), user);
    Form form = InstructionForms.of(code, state.mode() == CpuState.Mode.LONG_64);
    if (result.kind() != EmulationResult.Kind.DONE || form == null) {
      return result;
    }
    if (form == Form.CMPXCHG || form == Form.CMPXCHG8B || form == Form.CMPXCHG16B) {
      if (writeDestination >= 0 && map().roles(writeDestination) != 0) {
        int compare = form == Form.CMPXCHG ? 0 : form == Form.CMPXCHG8B ? 1 : 2;
        CompareOutcome outcome = (state.rflags() & ZF) != 0 ? CompareOutcome.SUCCEEDS : CompareOutcome.FAILS;
        coverage.hit(CoverageModel.COMPARE.cell(compare, outcome.ordinal()));
      }
    }
    if (writes == 0 || !tableOnFirstPage && !tableOnLaterPage) {
      return result;
    }
    if (form == Form.STOS) {
      stos(InstructionForms.stosBytes(code, state.mode() == CpuState.Mode.LONG_64));
    } else {
      long start = writeVas[0];
      long end = writeVas[0] + writeSizes[0];
      for (int w = 1; w < writes; w++) {
        start = Math.min(start, writeVas[w]);
        end = Math.max(end, writeVas[w] + writeSizes[w]);
      }
      int bytes = (int) (end - start);
      long firstGfn = gfnOfVa(start);
      long lastGfn = gfnOfVa(end - 1);
      if ((start >>> Addr.PAGE_SHIFT) != ((end - 1) >>> Addr.PAGE_SHIFT)) {
        if (bytes <= 16 && Integer.bitCount(bytes) == 1) {
          int width = CoverageModel.Width.ordinalOf(bytes);
          if (map().roles(firstGfn) != 0) {
            coverage.hit(CoverageModel.STRADDLE.cell(form.ordinal(), width, CrossSide.LEAVES_TABLE.ordinal()));
          }
          if (map().roles(lastGfn) != 0) {
            coverage.hit(CoverageModel.STRADDLE.cell(form.ordinal(), width, CrossSide.ENTERS_TABLE.ordinal()));
          }
        }
      } else {
        store(form, map().roles(firstGfn), bytes, start);
      }
    }
    map().invalidate();
    return result;
  }

  /** A STOS of {@code size}-byte elements: each element that lands in a table, and where the string ran. */
  private void stos(int size) {
    if (size == 0) {
      return;
    }
    long reference = writeVas[0];
    long element = Long.MIN_VALUE;
    for (int w = 0; w <= writes; w++) {
      long base = w < writes ? writeVas[w] - Math.floorMod(writeVas[w] - reference, (long) size) : Long.MAX_VALUE;
      if (base != element && element != Long.MIN_VALUE) {
        stosElement(element, size);
      }
      element = base;
    }
    if (bytesWritten <= size) {
      return; // one element: no string
    }
    if (!crossedPage) {
      coverage.hit(CoverageModel.REP_STOS.cell(RepStos.WITHIN_TABLE.ordinal()));
    }
    if (crossedPage && tableOnFirstPage) {
      coverage.hit(CoverageModel.REP_STOS.cell(RepStos.OUT_OF_TABLE.ordinal()));
    }
    if (tableOnLaterPage) {
      coverage.hit(CoverageModel.REP_STOS.cell(RepStos.INTO_TABLE.ordinal()));
    }
  }

  private void stosElement(long va, int size) {
    long firstGfn = gfnOfVa(va);
    long lastGfn = gfnOfVa(va + size - 1);
    if ((va >>> Addr.PAGE_SHIFT) == ((va + size - 1) >>> Addr.PAGE_SHIFT)) {
      int roles = map().roles(firstGfn);
      if (roles != 0) {
        store(Form.STOS, roles, size, va);
      }
      return;
    }
    int width = CoverageModel.Width.ordinalOf(size);
    if (map().roles(firstGfn) != 0) {
      coverage.hit(CoverageModel.STRADDLE.cell(Form.STOS.ordinal(), width, CrossSide.LEAVES_TABLE.ordinal()));
    }
    if (map().roles(lastGfn) != 0) {
      coverage.hit(CoverageModel.STRADDLE.cell(Form.STOS.ordinal(), width, CrossSide.ENTERS_TABLE.ordinal()));
    }
  }

  private long gfnOfVa(long va) {
    long page = va >>> Addr.PAGE_SHIFT;
    for (int t = translations - 1; t >= 0; t--) {
      if (vaPages[t] == page) {
        return gfns[t];
      }
    }
    return -1;
  }

  /**
   * Guest memory for the dry run: translations as native's (A/D untouched), reads from guest
   * memory as it is, writes recorded and dropped.
   */
  private final class DryRun implements LinearMemory {
    private final ControlRegisters regs;

    DryRun(ControlRegisters regs) {
      this.regs = regs;
    }

    @Override
    public AccessOutcome translate(@Gva long va, Access access) {
      long gfn = Classifier.this.translate(regs, va, access, AdPath.INSTRUCTION);
      if (gfn < 0) {
        return AccessOutcome.guestFault(walk.errorCode(), va);
      }
      AccessOutcome outcome = NativeMmu.physicalOutcome(guest().physical(),
          Addr.gpaOf(Addr.gfn(gfn), Addr.pageOffset(va)), access);
      if (outcome.isOk() && translations < MAX_TRANSLATIONS) {
        vaPages[translations] = va >>> Addr.PAGE_SHIFT;
        maddrPages[translations] = outcome.address() >>> Addr.PAGE_SHIFT;
        gfns[translations] = gfn;
        translations++;
      }
      if (access.isWrite() && writeDestination < 0) {
        writeDestination = gfn;
      }
      return outcome;
    }

    @Override
    public long read(@Maddr long maddr, int size) {
      return guest().machine().read(maddr, size);
    }

    @Override
    public void write(@Maddr long maddr, int size, long value) {
      long page = maddr >>> Addr.PAGE_SHIFT;
      for (int t = translations - 1; t >= 0; t--) {
        if (maddrPages[t] == page) {
          wrote((vaPages[t] << Addr.PAGE_SHIFT) | Addr.pageOffset(maddr), gfns[t], size);
          return;
        }
      }
    }

    private void wrote(long va, long gfn, int size) {
      long vaPage = va >>> Addr.PAGE_SHIFT;
      if (bytesWritten == 0) {
        firstWritePage = vaPage;
      }
      bytesWritten += size;
      crossedPage |= vaPage != firstWritePage;
      if (map().roles(gfn) != 0) {
        tableOnFirstPage |= vaPage == firstWritePage;
        tableOnLaterPage |= vaPage != firstWritePage;
      }
      if (writes < MAX_WRITES) {
        writeVas[writes] = va;
        writeGfns[writes] = gfn;
        writeSizes[writes] = size;
        writes++;
      }
    }
  }

  // ----- Engine hooks ------------------------------------------------------------------------------

  @Override
  public void prefetching(int index, int last, int entries, boolean splinter) {
    int kind = (splinter ? PrefetchKind.SPLINTER : PrefetchKind.TABLE).ordinal();
    if (index + 1 > last) {
      return;
    }
    if (index == 0) {
      coverage.hit(CoverageModel.PREFETCH.cell(kind, PrefetchEnd.FROM_FIRST.ordinal()));
    }
    if (last == entries - 1) {
      coverage.hit(CoverageModel.PREFETCH.cell(kind, PrefetchEnd.TO_LAST.ordinal()));
    }
    if (index != 0 && last != entries - 1) {
      coverage.hit(CoverageModel.PREFETCH.cell(kind, PrefetchEnd.INSIDE.ordinal()));
    }
  }

  @Override
  public void prefetched(long guestEntry) {
    int a = (guestEntry & EntryBits.A) != 0 ? 1 : 0;
    int d = (guestEntry & EntryBits.D) != 0 ? 1 : 0;
    coverage.hit(CoverageModel.ACCESSED_DIRTY.cell(AdPath.PREFETCH.ordinal(), AdEntry.SMALL_LEAF.ordinal(), a + 2 * d,
        AdAccess.READ.ordinal()));
  }

  @Override
  public void resyncing(ShadowEvents.ResyncCause why) {
    cause = why;
  }

  @Override
  public void resynced(long[] snapshot, long[] now) {
    ResyncTrigger trigger = trigger();
    if (trigger != null) {
      coverage.hit(CoverageModel.RESYNC.cell(trigger.ordinal()));
    }
    cause = null;
    boolean any = false;
    boolean middle = false;
    for (int word = 0; word < now.length; word++) {
      if (now[word] != snapshot[word]) {
        any = true;
        middle |= word > 0 && word < now.length - 1;
      }
    }
    if (now[0] != snapshot[0]) {
      coverage.hit(CoverageModel.OUT_OF_SYNC.cell(OosChange.FIRST.ordinal()));
    }
    if (now[now.length - 1] != snapshot[now.length - 1]) {
      coverage.hit(CoverageModel.OUT_OF_SYNC.cell(OosChange.LAST.ordinal()));
    }
    if (middle) {
      coverage.hit(CoverageModel.OUT_OF_SYNC.cell(OosChange.MIDDLE.ordinal()));
    }
    if (!any) {
      coverage.hit(CoverageModel.OUT_OF_SYNC.cell(OosChange.NONE.ordinal()));
    }
  }

  /** What brought the table back: the hook's cause inside a fault, else the operation itself. */
  private @Nullable ResyncTrigger trigger() {
    ShadowEvents.@Nullable ResyncCause why = cause;
    if (why != null) {
      return why == ShadowEvents.ResyncCause.SLOT_FULL ? ResyncTrigger.SLOT_FULL
          : why == ShadowEvents.ResyncCause.NEW_PATH ? ResyncTrigger.NEW_PATH : ResyncTrigger.PROMOTED;
    }
    GuestOp op = current;
    if (op instanceof GuestOp.LoadCr3) {
      return ResyncTrigger.CR3_LOAD;
    }
    if (op instanceof GuestOp.SetControl) {
      return ResyncTrigger.CONTROL_CHANGE;
    }
    return op instanceof GuestOp.FlushTlb ? ResyncTrigger.FLUSH : null;
  }

  @Override
  public void unshadowing(ShadowEvents.UnshadowCause cause) {
    coverage.hit(CoverageModel.UNSHADOW.cell(cause.ordinal()));
  }

  @Override
  public void poolReclaimed(int frames, boolean dropAll) {
    GuestOp op = current;
    PoolSite site = op instanceof GuestOp.MemoryAccess || op instanceof GuestOp.Execute || op instanceof GuestOp.Raced
        ? PoolSite.FAULT : PoolSite.TOP;
    coverage.hit(CoverageModel.POOL.cell(site.ordinal(),
        (dropAll ? PoolReclaim.DROP_BELOW_TOPS : PoolReclaim.UNPIN_TOPS).ordinal()));
  }

  // ----- Invariants ---------------------------------------------------------------------------------

  private static final String[] INVARIANTS = InvariantIds.all();

  @Override
  public void judged(Platform engine, ShadowScan scan) {
    Engine which = engine instanceof ReferenceEngine ? Engine.REFERENCE
        : engine instanceof OptimizedEngine ? Engine.OPTIMIZED : null;
    if (which == null || invariantsDone[which.ordinal()]) {
      return; // every invariant of this engine was judged non-trivially already: nothing to learn
    }
    ShadowView view = scan.view();
    boolean leaf = false;
    boolean pointer = false;
    boolean protectedTable = false;
    boolean magic = false;
    boolean outOfSync = false;
    for (ShadowTable table : scan.tables()) {
      outOfSync |= view.isOutOfSync(table);
      for (int part = 0; part < table.parts(); part++) {
        ShadowScan.PresentEntries present = scan.present(table, part);
        if (present.count() == 0) {
          continue;
        }
        if (table.level() > 1) {
          pointer = true;
          continue;
        }
        leaf = true;
        for (int i = 0; i < present.count() && !(protectedTable && magic); i++) {
          long entry = present.entry(i);
          if (table.entryBytes() == 8 && (entry & MagicEntries.TAG) != 0) {
            magic = true;
          } else {
            long frame = table.entryBytes() == 8 ? (entry & EntryBits.bits(51, 12)) >>> Addr.PAGE_SHIFT
                : (entry & 0xFFFF_F000L) >>> Addr.PAGE_SHIFT;
            protectedTable |= view.isShadowedFrame(frame);
          }
        }
      }
    }
    boolean all = true;
    for (int i = 0; i < INVARIANTS.length; i++) {
      String id = INVARIANTS[i];
      boolean nonTrivial = id.equals(InvariantIds.WRITE_PROTECT) ? protectedTable
          : id.equals(InvariantIds.SHADOW_STRUCTURE) ? pointer
          : id.equals(InvariantIds.MAGIC) ? magic
          : id.equals(InvariantIds.OUT_OF_SYNC) ? outOfSync
          : leaf;
      int cell = CoverageModel.INVARIANTS.cell(i, which.ordinal());
      if (nonTrivial) {
        coverage.hit(cell);
      }
      all &= coverage.reached(cell) || CoverageModel.INVARIANTS.unreachable(cell - CoverageModel.INVARIANTS.offset()) != null;
    }
    invariantsDone[which.ordinal()] = all;
  }
}
