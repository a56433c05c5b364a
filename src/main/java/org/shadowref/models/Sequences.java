package org.shadowref.models;

import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.arch.AccessKind;
import org.shadowref.arch.Addr;
import org.shadowref.arch.qual.Gfn;
import org.shadowref.check.explore.Choices;
import org.shadowref.check.explore.Events;
import org.shadowref.check.explore.Explorer;
import org.shadowref.check.explore.ExplorerOptions;
import org.shadowref.check.explore.JpfDriver;
import org.shadowref.check.explore.Lockstep;
import org.shadowref.check.explore.LockstepHarness;
import org.shadowref.check.explore.ModelArgs;
import org.shadowref.check.explore.OpMenu;
import org.shadowref.emulate.CpuState;
import org.shadowref.memory.P2m;
import org.shadowref.memory.P2mType;
import org.shadowref.shadow.GuestMachine;
import org.shadowref.shadow.GuestOp;
import org.shadowref.shadow.NativePlatform;
import org.shadowref.shadow.OpResult;
import org.shadowref.shadow.Platform;
import org.shadowref.shadow.World;
import org.shadowref.shadow.reference.ReferenceEngine;

/**
 * Every sequence of guest operations up to the depth bound over the {@link EngineUniverse}
 * guest of each paging mode ({@code mode=}; coverage labels per mode), on the reference engine
 * and the native machine in lockstep (in PAE and 2-level also accesses of the data page through
 * the large page the shadows splinter): loads, stores and fetches
 * (either privilege) of the data page through either page table, and of the second page table
 * through its alias (a store there is a write to a shadowed page table once the second mapping is
 * shadowed: emulated for the kernel, unshadowed for a user); page-table writes as real instruction
 * bytes, run by the independent SDM executor as the CPU on both platforms and by the engine's x86
 * emulator when it emulates a write to a shadowed table: {@code mov [rdi], rax} that unmaps the data page or maps it writable, and
 * {@code lock btr qword [rdi], 1} that makes its mapping read-only (in PAE also the entry's high
 * half alone, which leaves a torn entry pointing 4 GiB up, and a block writing the whole entry as
 * two halves, high first); CR3 loads of address space A
 * or B (B shares A's lower tables under a read-only top entry); INVLPG of the data page; the
 * hypervisor's P2M changes: the data page migrated, made a device's and returned, the second page
 * table migrated; log-dirty mode switched on and cleaned. In every
 * state: the engine's invariants hold, every operation gave native's result, and the guest sees
 * the same memory and registers on both.
 */
public final class Sequences extends LockstepHarness {
  private static final byte[] MOV_RDI_RAX = {0x48, (byte) 0x89, 0x07};
  private static final byte[] LOCK_BTR_RDI_1 = {(byte) 0xF0, 0x48, 0x0F, (byte) 0xBA, 0x37, 0x01};
  /** In 32-bit code 0x48 is DEC EAX: the same writes without REX.W, of a dword (a PAE entry's low half). */
  private static final byte[] MOV_EDI_EAX = {(byte) 0x89, 0x07};
  private static final byte[] LOCK_BTR_EDI_1 = {(byte) 0xF0, 0x0F, (byte) 0xBA, 0x37, 0x01};
  /**
   * {@code mov [esi], edx}, with ESI at the entry's high half: a PAE entry's high half alone. As long
   * as {@code mov [edi], eax}, so that RIP, which every instruction advances, adds no states.
   */
  private static final byte[] MOV_ESI_EDX = {(byte) 0x89, 0x16};
  /** {@code mov [esi], edx; mov [edi], eax}: a whole PAE entry as Linux's set_pte writes it, high half first. */
  private static final byte[] SET_PTE_HALVES = {(byte) 0x89, 0x16, (byte) 0x89, 0x07};
  /** In PAE, the page-table writes after the three every mode has: a high half alone, a two-half block. */
  private static final int TORN_HIGH_HALF = 3;
  private static final int HALVES_BLOCK = 4;

  private final EngineUniverse.Mode[] modes;
  /** Per mode (by ordinal): the engine's configuration, the operations, the page-table writes. */
  private final ReferenceEngine.Config[] configs = new ReferenceEngine.Config[EngineUniverse.Mode.values().length];
  private final OpMenu[] menus = new OpMenu[configs.length];
  private final GuestOp[][] tableWrites = new GuestOp[configs.length][];
  /** Per mode: the hypervisor's operations (P2M changes, log-dirty mode). */
  private final GuestOp[][] hypervisorOps = new GuestOp[configs.length][];

  /**
   * The hypervisor's operations on {@code universe}: the data page migrated to a free machine
   * frame (copied), given to a device, and back as RAM at its own frame (which kept what it held);
   * the second page table migrated (its shadows must follow the copy and protect it); log-dirty
   * mode switched on (a clean before it is a no-op) and cleaned.
   */
  private static GuestOp[] hypervisorOps(EngineUniverse universe) {
    @Gfn long data = Addr.gfn(universe.dataGfn);
    return new GuestOp[] {
      new GuestOp.SetP2m(0, data, P2mType.RAM, Addr.mfn(0), true),
      new GuestOp.SetP2m(0, data, P2mType.MMIO, Addr.mfn(P2m.INVALID_MFN), false),
      new GuestOp.SetP2m(0, data, P2mType.RAM, Addr.mfn(universe.dataGfn + World.MFN_OFFSET), false),
      new GuestOp.SetP2m(0, Addr.gfn(EngineUniverse.SECOND_L1_GFN), P2mType.RAM, Addr.mfn(1), true),
      new GuestOp.LogDirty(0, GuestOp.LogDirty.Action.ON),
      new GuestOp.LogDirty(0, GuestOp.LogDirty.Action.CLEAN)
    };
  }

  /**
   * The page-table writes of {@code universe}, as instructions on the data page's L1 entry
   * (through the alias): unmap, map writable, make read-only. In PAE, where a 32-bit kernel writes
   * a 64-bit entry as two 32-bit stores, also the high half alone, set to point the entry 4 GiB up
   * (a torn entry: the low half maps the data page or nothing, the high half a frame the guest
   * does not have), and a block writing the whole entry high half first (which mends it).
   */
  private static GuestOp[] tableWrites(EngineUniverse universe) {
    boolean longMode = universe.mode == EngineUniverse.Mode.FOUR_LEVEL;
    byte[] mov = longMode ? MOV_RDI_RAX : MOV_EDI_EAX;
    byte[] btr = longMode ? LOCK_BTR_RDI_1 : LOCK_BTR_EDI_1;
    long mapped = (universe.dataGfn << 12) | EngineUniverse.LEAF;
    GuestOp[] everyMode = {
      tableWrite(universe, mov, 0, 0),
      tableWrite(universe, mov, mapped, 0),
      tableWrite(universe, btr, 0, 0)
    };
    if (universe.mode != EngineUniverse.Mode.PAE) {
      return everyMode;
    }
    return new GuestOp[] {
      everyMode[0], everyMode[1], everyMode[2],
      tableWrite(universe, MOV_ESI_EDX, 0, 1),
      tableWrite(universe, SET_PTE_HALVES, mapped, 0)
    };
  }

  private static GuestOp tableWrite(EngineUniverse universe, byte[] code, long rax, long rdx) {
    long[] gprs = new long[16];
    gprs[CpuState.RDI] = universe.vaDataL1e;
    gprs[CpuState.RAX] = rax;
    gprs[CpuState.RDX] = rdx;
    gprs[CpuState.RSI] = universe.vaDataL1e + 4;
    return new GuestOp.Execute(0, code, false, gprs);
  }

  /** The accesses: the data page through either page table (and the large page), the second table. */
  private static OpMenu menu(EngineUniverse universe) {
    long[] vas = universe.vaLarge < 0
        ? new long[] {universe.vaData, universe.vaSecond, universe.vaSecondL1e}
        : new long[] {universe.vaData, universe.vaSecond, universe.vaSecondL1e, universe.vaLarge};
    return OpMenu.builder(1)
        .accesses(vas)
        .cr3Loads(universe.rootA, universe.rootB)
        .invlpgs(universe.vaData)
        .build();
  }

  public Sequences(ModelArgs args) {
    ReferenceEngine.Config config = EngineUniverse.config(args);
    modes = EngineUniverse.modes(args, "4level");
    for (EngineUniverse.Mode mode : modes) {
      EngineUniverse universe = EngineUniverse.of(mode);
      configs[mode.ordinal()] = universe.config(config);
      menus[mode.ordinal()] = menu(universe);
      tableWrites[mode.ordinal()] = tableWrites(universe);
      hypervisorOps[mode.ordinal()] = hypervisorOps(universe);
    }
  }

  /** Under JPF: JPF explores the choices. Directly: the project's explorer does. */
  public static void main(String[] argv) {
    ModelArgs args = ModelArgs.parse(argv);
    int depth = args.intValue("depth", 6, -1, 1000);
    Sequences harness = new Sequences(args);
    args.checkAllUsed("Sequences");
    if (JpfDriver.runningInJpf()) {
      JpfDriver.run(harness, depth);
    } else {
      System.out.println(Explorer.explore(harness, ExplorerOptions.defaults().withDepthBound(depth)).describe());
    }
  }

  @Override
  protected Lockstep start(Choices choices, Events events) {
    EngineUniverse.Mode mode = modes.length == 1 ? modes[0] : modes[choices.chooseInt(0, modes.length - 1)];
    EngineUniverse universe = EngineUniverse.of(mode);
    GuestMachine guest = universe.build(1).machine();
    if (events.tracing()) {
      events.note("world: " + universe);
    }
    ReferenceEngine engine = new ReferenceEngine(
        guest.copy(), configs[mode.ordinal()], EngineUniverse.CPU, EngineUniverse.EMULATOR);
    return new Lockstep(new ObservedEngine(engine, universe), new NativePlatform(guest, EngineUniverse.CPU));
  }

  @Override
  protected @Nullable GuestOp nextOp(Lockstep state, Choices choices, Events events) {
    int mode = ((ObservedEngine) state.system()).universe().mode.ordinal();
    GuestOp[] writes = tableWrites[mode];
    GuestOp[] changes = hypervisorOps[mode];
    int fixed = choices.chooseInt(-1, writes.length + changes.length - 1);
    return fixed < 0 ? menus[mode].choose(choices) : fixed < writes.length ? writes[fixed] : changes[fixed - writes.length];
  }

  @Override
  protected void afterOp(Lockstep state, GuestOp op, OpResult result, Events events) {
    ObservedEngine engine = (ObservedEngine) state.system();
    EngineUniverse universe = engine.universe();
    for (String label : engine.lastCases()) {
      events.cover(universe.label(label));
    }
    if (op instanceof GuestOp.LoadCr3) {
      events.cover(universe.label(CR3_LOAD));
    } else if (op instanceof GuestOp.Invlpg) {
      events.cover(universe.label(INVLPG));
    } else if (op instanceof GuestOp.Execute) {
      events.cover(universe.label(TABLE_WRITE_INSTRUCTION));
      GuestOp[] writes = tableWrites[universe.mode.ordinal()];
      if (writes.length > HALVES_BLOCK && result.status() == OpResult.Status.OK) {
        if (op == writes[TORN_HIGH_HALF]) {
          events.cover(universe.label(TORN_ENTRY));
        } else if (op == writes[HALVES_BLOCK]) {
          events.cover(universe.label(HALVES));
        }
      }
    } else if (op instanceof GuestOp.SetP2m && result.status() == OpResult.Status.OK) {
      events.cover(universe.label(P2M_CHANGE));
    } else if (op instanceof GuestOp.MemoryAccess access && access.kind() == AccessKind.WRITE
        && engine.engine().dirtyLog().isOn() && result.status() == OpResult.Status.OK) {
      events.cover(universe.label(LOGGED_WRITE));
    } else if (op instanceof GuestOp.MemoryAccess access && access.va() == universe.vaLarge
        && result.status() == OpResult.Status.OK) {
      events.cover(universe.label(LARGE_PAGE));
    }
    if (events.tracing()) {
      events.note("handler cases: " + engine.lastCases());
    }
  }

  static final String CR3_LOAD = "CR3 load";
  static final String INVLPG = "INVLPG";
  static final String TABLE_WRITE_INSTRUCTION = "page-table write instruction completed";
  static final String LARGE_PAGE = "the data page accessed through the large page";
  static final String P2M_CHANGE = "P2M change";
  static final String LOGGED_WRITE = "a store with log-dirty mode on";
  static final String TORN_ENTRY = "a PAE entry's high half written alone (a torn entry)";
  static final String HALVES = "a PAE entry written as two halves in one block";

  @Override
  protected void checkSystem(Platform system, Events events) {
    EngineUniverse.checkInvariants(((ObservedEngine) system).engine(), events);
  }

  @Override
  public String[] coverageLabels() {
    String[] common = {
      ObservedEngine.HARDWARE_DONE, ObservedEngine.FIXED_BUILT, ObservedEngine.FIXED_PROPAGATED,
      ObservedEngine.INJECT_NOT_PRESENT, ObservedEngine.INJECT_PROTECTION,
      ObservedEngine.EMULATED_TABLE_WRITE, ObservedEngine.FIXED_UNSHADOWED, ObservedEngine.INSTRUCTION_EMULATED,
      TABLE_WRITE_INSTRUCTION, CR3_LOAD, INVLPG, P2M_CHANGE, LOGGED_WRITE
    };
    java.util.List<String> labels = new java.util.ArrayList<>();
    for (EngineUniverse.Mode mode : modes) {
      java.util.Collections.addAll(labels, EngineUniverse.labels(new EngineUniverse.Mode[] {mode}, common));
      if (EngineUniverse.of(mode).vaLarge >= 0) {
        labels.add(EngineUniverse.of(mode).label(LARGE_PAGE));
      }
      if (mode == EngineUniverse.Mode.PAE) {
        labels.add(EngineUniverse.of(mode).label(TORN_ENTRY));
        labels.add(EngineUniverse.of(mode).label(HALVES));
      }
    }
    return labels.toArray(new String[0]);
  }
}
