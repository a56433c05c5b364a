package org.shadowref.models;

import java.util.ArrayList;
import java.util.List;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.arch.Access;
import org.shadowref.arch.AccessKind;
import org.shadowref.arch.Addr;
import org.shadowref.arch.ControlRegisters;
import org.shadowref.arch.CpuModel;
import org.shadowref.arch.EntryBits;
import org.shadowref.arch.PagingMode;
import org.shadowref.arch.PfErrorCode;
import org.shadowref.arch.ReservedBits;
import org.shadowref.check.explore.Choices;
import org.shadowref.check.explore.Events;
import org.shadowref.check.explore.Explorer;
import org.shadowref.check.explore.ExplorerOptions;
import org.shadowref.check.explore.Fingerprint;
import org.shadowref.check.explore.Harness;
import org.shadowref.check.explore.JpfDriver;
import org.shadowref.check.explore.ModelArgs;
import org.shadowref.check.trace.GuestSnapshot;
import org.shadowref.memory.P2mType;
import org.shadowref.mmu.AccessOutcome;
import org.shadowref.mmu.FaultKind;
import org.shadowref.mmu.PageTableMemory;
import org.shadowref.mmu.WalkResult;
import org.shadowref.mmu.Walker;
import org.shadowref.shadow.GuestOp;
import org.shadowref.shadow.OpResult;

/**
 * The native walker, explored: one linear address translated through one chain of page tables,
 * one table per level. The initial choice picks the paging mode, a level under test and any
 * combination of eight entry bits there (P, RW, US, A, D, NX, PS and a reserved bit); the other
 * levels' entries are {@code P|RW|US}, or with {@code others=rights} any combination of RW, US
 * and NX. Steps toggle a control bit (CR0.WP, EFER.NXE, CR4.SMEP, CR4.SMAP, RFLAGS.AC, and CR4.PSE
 * in 2-level mode) or perform an access of any kind at either privilege, which may set A/D bits:
 * the state space is finite, so the search runs to its end.
 *
 * <p>Every access is checked against rules stated here independently of the walker's code: the
 * fault kind and level follow from the entries; the access-rights decision follows SDM 4.6 stated
 * as a list of prohibitions; the error code's bits follow from the fault and the access; A/D are
 * written only when the access succeeds, and then exactly A on each entry used and D on a written
 * leaf; the translation is the leaf's frame plus the offset; an access that succeeded succeeds
 * again, unchanged.
 *
 * <p>{@code bug=drop-dirty} makes the table memory lose D-bit updates, to show that the checks
 * catch a broken walk.
 */
public final class NativeWalk implements Harness<NativeWalk.State> {
  /** The linear address every access uses: index 0 at each level, a non-zero offset. */
  static final long VA = 0x123;
  /** Where the access lands through a 4 KiB leaf. */
  static final long DATA_FRAME = 0x5000;

  static final CpuModel CPU = CpuModel.DEFAULT;
  /** A bit above MAXPHYADDR: reserved in every 64-bit entry that holds an address. */
  static final long RESERVED_64 = 1L << CPU.maxPhysAddr();
  /** In a 32-bit 4 MiB page entry, bit 21 lies above the PSE-36 address bits: reserved. */
  static final long RESERVED_32 = 1L << 21;

  private static final String[] CONTROL_NAMES = {"WP", "NXE", "SMEP", "SMAP", "AC", "PSE"};
  private static final int WP = 0;
  private static final int NXE = 1;
  private static final int SMEP = 2;
  private static final int SMAP = 3;
  private static final int AC = 4;
  private static final int PSE = 5;


  private final PagingMode[] modes;
  private final boolean variedRights;
  private final boolean dropDirty;

  public NativeWalk(ModelArgs args) {
    String mode = args.choice("mode", "all", "all", "2level", "pae", "4level");
    PagingMode single = PagingMode.fromCliName(mode);
    modes = single == null ? PagingMode.values() : new PagingMode[] {single};
    variedRights = args.choice("others", "permissive", "permissive", "rights").equals("rights");
    dropDirty = args.choice("bug", "none", "none", "drop-dirty").equals("drop-dirty");
  }

  /** Under JPF: JPF explores the choices. Directly: the project's explorer does. */
  public static void main(String[] argv) {
    ModelArgs args = ModelArgs.parse(argv);
    int depth = args.intValue("depth", -1, -1, 1000);
    NativeWalk harness = new NativeWalk(args);
    args.checkAllUsed("NativeWalk");
    if (JpfDriver.runningInJpf()) {
      JpfDriver.run(harness, depth);
    } else {
      System.out.println(Explorer.explore(harness, ExplorerOptions.defaults().withDepthBound(depth)).describe());
    }
  }

  /** The tables' entries on the walked path and the control bits: the whole future-relevant state. */
  public static final class State implements PageTableMemory {
    PagingMode mode;
    /** entry[level] for levels 1..mode.levels(); the table of level L is guest frame L-1. */
    final long[] entry = new long[5];
    /** Bit i set: control {@code CONTROL_NAMES[i]} is on. */
    int controls;
    final boolean dropDirty;
    // Scratch space for one access, not state: held by each state (never copied) so that a step
    // allocates nothing and steps on different states can run at once.
    final long[] before = new long[5];
    final long[] afterFirst = new long[5];
    final WalkResult walk = new WalkResult();
    final WalkResult again = new WalkResult();

    State(PagingMode mode, boolean dropDirty) {
      this.mode = mode;
      this.dropDirty = dropDirty;
    }

    void copyFrom(State other) {
      mode = other.mode;
      System.arraycopy(other.entry, 0, entry, 0, entry.length);
      controls = other.controls;
    }

    boolean on(int control) {
      return (controls & (1 << control)) != 0;
    }

    ControlRegisters regs() {
      ControlRegisters regs = ControlRegisters.forMode(mode, tableAddress(mode.levels()));
      long cr0 = regs.cr0() | (on(WP) ? ControlRegisters.CR0_WP : 0);
      long cr4 = regs.cr4()
          | (on(SMEP) ? ControlRegisters.CR4_SMEP : 0)
          | (on(SMAP) ? ControlRegisters.CR4_SMAP : 0)
          | (on(PSE) ? ControlRegisters.CR4_PSE : 0);
      long efer = regs.efer() | (on(NXE) ? ControlRegisters.EFER_NXE : 0);
      long rflags = on(AC) ? ControlRegisters.RFLAGS_AC : 0;
      return new ControlRegisters(cr0, regs.cr3(), cr4, efer, rflags);
    }

    @Override
    public long readEntry(long address, int size) {
      int level = levelAt(address);
      return level == 0 ? 0 : entry[level];
    }

    @Override
    public void writeEntry(long address, int size, long value) {
      int level = levelAt(address);
      if (level == 0) {
        throw new IllegalStateException("the walker wrote " + Addr.hex(address) + ", which it never read");
      }
      entry[level] = dropDirty ? (value & ~EntryBits.D) | (entry[level] & EntryBits.D) : value;
    }

    private int levelAt(long address) {
      for (int level = 1; level <= mode.levels(); level++) {
        if (address == tableAddress(level)) {
          return level;
        }
      }
      return 0;
    }

    @Override
    public String toString() {
      StringBuilder out = new StringBuilder(mode.cliName());
      for (int level = mode.levels(); level >= 1; level--) {
        out.append(" L").append(level).append('=').append(EntryBits.describe(entry[level]));
        if ((entry[level] & reservedBit(mode)) != 0) {
          out.append("|RSV");
        }
      }
      for (int control = 0; control < CONTROL_NAMES.length; control++) {
        if (on(control)) {
          out.append(' ').append(CONTROL_NAMES[control]);
        }
      }
      return out.toString();
    }
  }

  /**
   * Guest-physical address of the table at {@code level} (and of its entry 0): frame level-1.
   * Low frames keep the entries' address bits clear of the bits a large page reserves (20:13
   * for 2 MiB and 4 MiB pages, 29:13 for 1 GiB pages), so large pages can succeed.
   */
  static long tableAddress(int level) {
    return (level - 1) * Addr.PAGE_SIZE;
  }

  static long reservedBit(PagingMode mode) {
    return mode == PagingMode.TWO_LEVEL ? RESERVED_32 : RESERVED_64;
  }

  /** The eight bits whose combinations the level under test takes. */
  static long[] testedBits(PagingMode mode) {
    long noExecute = mode == PagingMode.TWO_LEVEL ? EntryBits.G : EntryBits.NX; // no NX in 32-bit entries
    return new long[] {
      EntryBits.P, EntryBits.RW, EntryBits.US, EntryBits.A, EntryBits.D, noExecute, EntryBits.PS, reservedBit(mode)
    };
  }

  /** What an entry at {@code level} points at: the next table, or the data frame. */
  static long target(int level) {
    return level == 1 ? DATA_FRAME : tableAddress(level - 1);
  }

  @Override
  public State initial(Choices choices, Events events) {
    PagingMode mode = modes[choices.chooseInt(0, modes.length - 1)];
    State state = new State(mode, dropDirty);
    int tested = choices.chooseInt(1, mode.levels());
    long[] bits = testedBits(mode);
    for (int level = mode.levels(); level >= 1; level--) {
      long flags;
      if (level == tested) {
        int combination = choices.chooseInt(0, (1 << bits.length) - 1);
        flags = 0;
        for (int bit = 0; bit < bits.length; bit++) {
          if ((combination & (1 << bit)) != 0) {
            flags |= bits[bit];
          }
        }
      } else {
        flags = EntryBits.P | EntryBits.RW | EntryBits.US;
        if (variedRights) {
          flags = EntryBits.P;
          flags |= choices.chooseBoolean() ? EntryBits.RW : 0;
          flags |= choices.chooseBoolean() ? EntryBits.US : 0;
          flags |= mode != PagingMode.TWO_LEVEL && choices.chooseBoolean() ? EntryBits.NX : 0;
        }
        if (mode == PagingMode.PAE && level == 3) {
          flags = EntryBits.P; // other PDPTE bits are reserved: only the level under test tries them
        }
      }
      state.entry[level] = target(level) | flags;
    }
    if (events.tracing()) {
      events.note("world: " + state);
    }
    return state;
  }

  @Override
  public void step(State state, Choices choices, Events events) {
    int controlCount = state.mode == PagingMode.TWO_LEVEL ? CONTROL_NAMES.length : CONTROL_NAMES.length - 1;
    // 0..5: an access (kind x privilege); then one per control bit to toggle.
    int action = choices.chooseInt(0, 6 + controlCount - 1);
    if (action >= 6) {
      int control = action - 6;
      state.controls ^= 1 << control;
      ControlRegisters regs = state.regs();
      events.cover(TOGGLE_LABELS[control]);
      events.op(new GuestOp.SetControl(0, regs.cr0(), regs.cr4(), regs.efer(), regs.rflags()), OpResult.DONE);
      return;
    }
    access(state, accessFor(action), events);
  }

  private static final String FAULT_RULE = "the fault kind and level follow from the entries";
  private static final String RIGHTS_RULE = "access rights follow SDM 4.6";
  private static final String ERROR_CODE_RULE = "the error code's bits follow from the fault and the access";
  private static final String AD_ON_FAULT_RULE = "A/D bits are written only when the access succeeds";
  private static final String AD_ON_SUCCESS_RULE = "a successful access sets A on each entry used and D on a written leaf, nothing else";
  private static final String TRANSLATION_RULE = "the translation is the leaf's frame plus the offset";
  private static final String REPEAT_RULE = "an access that succeeded succeeds again, unchanged";

  private void access(State state, Access access, Events events) {
    PagingMode mode = state.mode;
    ControlRegisters regs = state.regs();
    long[] before = state.before;
    System.arraycopy(state.entry, 0, before, 0, before.length);
    WalkResult walk = state.walk;
    Walker.walk(state, regs, CPU, Addr.gva(VA), access, true, walk);
    if (events.tracing()) {
      GuestOp op = new GuestOp.MemoryAccess(0, Addr.gva(VA), access.kind(), access.user(), 8, 0);
      events.op(op, walk.ok()
          ? OpResult.of(AccessOutcome.ok(walk.translated()), 0)
          : OpResult.of(AccessOutcome.guestFault(walk.errorCode(), VA), 0));
      events.note("walk: " + walk.describe() + "; now " + state);
    }
    events.cover(coverageLabel(walk, access));

    // The fault kind and level, from the entries top-down (SDM 4.7: not-present, then reserved).
    // An entry whose address bits were changed points away from the next table, at zeroes.
    long frameBits = mode == PagingMode.TWO_LEVEL ? 0xFFFF_F000L : EntryBits.bits(CPU.maxPhysAddr() - 1, 12);
    int leaf = 0;
    FaultKind expectedFault = FaultKind.NONE;
    int expectedLevel = 0;
    long table = tableAddress(mode.levels());
    for (int level = mode.levels(); level >= 1; level--) {
      long entry = table == tableAddress(level) ? before[level] : 0;
      boolean large = level > 1 && (entry & EntryBits.PS) != 0 && mode.canMapLargePage(level, regs.pse());
      if ((entry & EntryBits.P) == 0) {
        expectedFault = FaultKind.NOT_PRESENT;
        expectedLevel = level;
        break;
      }
      if ((entry & ReservedBits.mask(mode, level, large, regs.nxe(), CPU.maxPhysAddr())) != 0) {
        expectedFault = FaultKind.RESERVED_BIT;
        expectedLevel = level;
        break;
      }
      if (level == 1 || large) {
        leaf = level;
        break;
      }
      table = entry & frameBits;
    }
    if (leaf != 0) {
      expectedFault = forbidden(before, leaf, mode, regs, access) ? FaultKind.PROTECTION : FaultKind.NONE;
      expectedLevel = leaf;
    }
    if (walk.fault() != expectedFault || walk.stopLevel() != expectedLevel) {
      String rule = expectedFault == FaultKind.PROTECTION || walk.fault() == FaultKind.PROTECTION ? RIGHTS_RULE : FAULT_RULE;
      events.violation(rule, "expected " + expectedFault + " at L" + expectedLevel + " for " + access + " on "
          + describe(mode, before) + ", the walker says " + walk.describe());
      return;
    }

    if (!walk.ok()) {
      int expectedCode = 0;
      expectedCode |= walk.fault() == FaultKind.NOT_PRESENT ? 0 : PfErrorCode.P;
      expectedCode |= walk.fault() == FaultKind.RESERVED_BIT ? PfErrorCode.RSVD : 0;
      expectedCode |= access.isWrite() ? PfErrorCode.W : 0;
      expectedCode |= access.user() ? PfErrorCode.U : 0;
      boolean fetchReported = regs.smep() || (regs.nxe() && mode != PagingMode.TWO_LEVEL);
      expectedCode |= access.isFetch() && fetchReported ? PfErrorCode.ID : 0;
      if (walk.errorCode() != expectedCode) {
        events.violation(ERROR_CODE_RULE, "expected " + PfErrorCode.describe(expectedCode) + " for "
            + walk.fault() + " on " + access + ", got " + PfErrorCode.describe(walk.errorCode()));
        return;
      }
      for (int level = 1; level <= mode.levels(); level++) {
        if (state.entry[level] != before[level]) {
          events.violation(AD_ON_FAULT_RULE, "L" + level + " changed from " + EntryBits.describe(before[level])
              + " to " + EntryBits.describe(state.entry[level]) + " on a faulting " + access);
          return;
        }
      }
      return;
    }

    for (int level = 1; level <= mode.levels(); level++) {
      long expected = before[level];
      boolean used = level >= leaf && !(mode == PagingMode.PAE && level == 3);
      if (used) {
        expected |= EntryBits.A;
        if (level == leaf && access.isWrite()) {
          expected |= EntryBits.D;
        }
      }
      if (state.entry[level] != expected) {
        events.violation(AD_ON_SUCCESS_RULE, "after a " + access + ", L" + level + " is "
            + EntryBits.describe(state.entry[level]) + ", expected " + EntryBits.describe(expected));
        return;
      }
    }
    // A 4 KiB leaf names its frame in bits 12 and up (31:12 in 32-bit entries, below MAXPHYADDR
    // otherwise); every large-page entry here points below its page size, so that page is at 0.
    long expectedAddress = leaf == 1 ? (before[1] & frameBits) | VA : VA;
    if (walk.translated() != expectedAddress || walk.pageSize() != mode.pageSize(leaf)) {
      events.violation(TRANSLATION_RULE, "expected " + Addr.hex(expectedAddress) + " in a page of "
          + Addr.hex(mode.pageSize(leaf)) + ", the walker says " + walk.describe());
      return;
    }
    long[] afterFirst = state.afterFirst;
    System.arraycopy(state.entry, 0, afterFirst, 0, afterFirst.length);
    long translated = walk.translated();
    WalkResult again = state.again;
    Walker.walk(state, regs, CPU, Addr.gva(VA), access, true, again);
    if (!again.ok() || again.translated() != translated || !java.util.Arrays.equals(afterFirst, state.entry)) {
      events.violation(REPEAT_RULE, "the second " + access + " gave " + again.describe() + " and left "
          + describe(mode, state.entry));
    }
  }

  /**
   * SDM 4.6, stated as the list of things an access may not do given the combined rights of the
   * entries used (PAE PDPTEs carry none).
   */
  static boolean forbidden(long[] entries, int leaf, PagingMode mode, ControlRegisters regs, Access access) {
    boolean userPage = true;
    boolean writable = true;
    boolean noExecute = false;
    for (int level = mode.levels(); level >= leaf; level--) {
      if (mode == PagingMode.PAE && level == 3) {
        continue;
      }
      userPage &= (entries[level] & EntryBits.US) != 0;
      writable &= (entries[level] & EntryBits.RW) != 0;
      noExecute |= (entries[level] & EntryBits.NX) != 0;
    }
    noExecute &= regs.nxe() && mode != PagingMode.TWO_LEVEL;
    boolean user = access.user();
    boolean write = access.isWrite();
    boolean fetch = access.isFetch();
    return (fetch && noExecute)
        || (user && !userPage)
        || (user && write && !writable)
        || (!user && write && !writable && regs.wp())
        || (!user && userPage && fetch && regs.smep())
        || (!user && userPage && !fetch && regs.smap() && !regs.ac());
  }

  // Labels are built once: a step must not pay for string concatenation.
  private static final String[] OK_LABELS = {"", "ok L1", "ok L2", "ok L3"};
  private static final String[] NOT_PRESENT_LABELS = {"", "not-present L1", "not-present L2", "not-present L3", "not-present L4"};
  private static final String[] RESERVED_LABELS = {"", "reserved-bit L1", "reserved-bit L2", "reserved-bit L3", "reserved-bit L4"};
  private static final String[] PROTECTION_LABELS = new String[6];
  private static final String[] TOGGLE_LABELS = new String[CONTROL_NAMES.length];

  static {
    for (int i = 0; i < 6; i++) {
      PROTECTION_LABELS[i] = "protection " + accessFor(i);
    }
    for (int i = 0; i < CONTROL_NAMES.length; i++) {
      TOGGLE_LABELS[i] = "toggle " + CONTROL_NAMES[i];
    }
  }

  /** Accesses numbered 0..5: kind-major, supervisor before user. */
  static Access accessFor(int number) {
    return Access.of(AccessKind.values()[number / 2], number % 2 == 1);
  }

  private static String coverageLabel(WalkResult walk, Access access) {
    switch (walk.fault()) {
      case NONE:
        return OK_LABELS[walk.leafLevel()];
      case NOT_PRESENT:
        return NOT_PRESENT_LABELS[walk.stopLevel()];
      case RESERVED_BIT:
        return RESERVED_LABELS[walk.stopLevel()];
      default:
        return PROTECTION_LABELS[access.kind().ordinal() * 2 + (access.user() ? 1 : 0)];
    }
  }

  private static String describe(PagingMode mode, long[] entries) {
    StringBuilder out = new StringBuilder();
    for (int level = mode.levels(); level >= 1; level--) {
      out.append(level == mode.levels() ? "" : " ").append('L').append(level).append('=').append(EntryBits.describe(entries[level]));
      if ((entries[level] & reservedBit(mode)) != 0) {
        out.append("|RSV");
      }
    }
    return out.toString();
  }

  @Override
  public void check(State state, Events events) {
    // Every property concerns an access and is checked as it happens, in step().
  }

  @Override
  public State copy(State state) {
    State copy = new State(state.mode, state.dropDirty);
    copy.copyFrom(state);
    return copy;
  }

  @Override
  public State copyInto(State source, State target) {
    target.copyFrom(source);
    return target;
  }

  @Override
  public void fingerprint(State state, Fingerprint into) {
    into.add(state.mode.ordinal()).add(state.controls);
    for (int level = 1; level <= state.mode.levels(); level++) {
      into.add(state.entry[level]);
    }
  }

  @Override
  public String[] coverageLabels() {
    List<String> labels = new ArrayList<>();
    int levels = 0;
    for (PagingMode mode : modes) {
      levels = Math.max(levels, mode.levels());
    }
    boolean twoLevelOnly = modes.length == 1 && modes[0] == PagingMode.TWO_LEVEL;
    for (int level = 1; level <= levels; level++) {
      labels.add(NOT_PRESENT_LABELS[level]);
      if (!(twoLevelOnly && level == 1)) { // a 32-bit page-table entry has no reserved bits
        labels.add(RESERVED_LABELS[level]);
      }
    }
    labels.add(OK_LABELS[1]);
    labels.add(OK_LABELS[2]);
    if (levels == 4) {
      labels.add(OK_LABELS[3]);
    }
    for (String label : PROTECTION_LABELS) {
      labels.add(label);
    }
    boolean twoLevel = false;
    for (PagingMode mode : modes) {
      twoLevel |= mode == PagingMode.TWO_LEVEL;
    }
    for (int control = 0; control < CONTROL_NAMES.length; control++) {
      if (control != PSE || twoLevel) {
        labels.add(TOGGLE_LABELS[control]);
      }
    }
    return labels.toArray(new String[0]);
  }

  @Override
  public @Nullable GuestSnapshot world(State initial) {
    List<GuestSnapshot.P2mEntry> p2m = new ArrayList<>();
    for (int gfn = 0; gfn <= 5; gfn++) {
      p2m.add(new GuestSnapshot.P2mEntry(gfn, P2mType.RAM, gfn));
    }
    List<GuestSnapshot.MemoryWord> memory = new ArrayList<>();
    int size = initial.mode.entryBytes();
    for (int level = 1; level <= initial.mode.levels(); level++) {
      memory.add(new GuestSnapshot.MemoryWord(tableAddress(level), size, initial.entry[level],
          "L" + level + " entry for " + Addr.hex(VA) + ": " + EntryBits.describe(initial.entry[level])));
    }
    ControlRegisters regs = initial.regs();
    GuestSnapshot.VcpuState vcpu = new GuestSnapshot.VcpuState(regs, GuestSnapshot.cpuModeFor(regs), new long[16]);
    return new GuestSnapshot(CPU.maxPhysAddr(), 8, 8, 8, p2m, memory, List.of(vcpu));
  }
}
