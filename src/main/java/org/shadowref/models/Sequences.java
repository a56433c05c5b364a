package org.shadowref.models;

import org.checkerframework.checker.nullness.qual.Nullable;
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
import org.shadowref.shadow.GuestMachine;
import org.shadowref.shadow.GuestOp;
import org.shadowref.shadow.NativePlatform;
import org.shadowref.shadow.OpResult;
import org.shadowref.shadow.Platform;
import org.shadowref.shadow.reference.ReferenceEngine;

/**
 * Every sequence of guest operations up to the depth bound over the {@link EngineUniverse}
 * guest, on the reference engine and the native machine in lockstep: loads, stores and fetches
 * (either privilege) of the data page through either page table, and of the second page table
 * through its alias (a store there is a write to a shadowed page table once the second mapping is
 * shadowed: emulated for the kernel, unshadowed for a user); page-table writes as real instruction
 * bytes, run by the independent SDM executor as the CPU on both platforms and by the engine's x86
 * emulator when it emulates a write to a shadowed table: {@code mov [rdi], rax} that unmaps the data page or maps it writable, and
 * {@code lock btr qword [rdi], 1} that makes its mapping read-only; CR3 loads of address space A
 * or B (B shares A's lower tables under a read-only top entry); INVLPG of the data page. In every
 * state: the engine's invariants hold, every operation gave native's result, and the guest sees
 * the same memory and registers on both.
 */
public final class Sequences extends LockstepHarness {
  private static final OpMenu MENU = OpMenu.builder(1)
      .accesses(new long[] {EngineUniverse.VA_DATA, EngineUniverse.VA_SECOND, EngineUniverse.VA_SECOND_L1})
      .cr3Loads(EngineUniverse.ROOT_A, EngineUniverse.ROOT_B)
      .invlpgs(EngineUniverse.VA_DATA)
      .build();

  private static final byte[] MOV_RDI_RAX = {0x48, (byte) 0x89, 0x07};
  private static final byte[] LOCK_BTR_RDI_1 = {(byte) 0xF0, 0x48, 0x0F, (byte) 0xBA, 0x37, 0x01};

  /** The page-table writes, as instructions on the data page's L1 entry (through the alias). */
  private static final GuestOp[] TABLE_WRITES = {
    tableWrite(MOV_RDI_RAX, 0),
    tableWrite(MOV_RDI_RAX, EngineUniverse.VA_DATA | EngineUniverse.LEAF),
    tableWrite(LOCK_BTR_RDI_1, 0)
  };

  private static GuestOp tableWrite(byte[] code, long rax) {
    long[] gprs = new long[16];
    gprs[CpuState.RDI] = EngineUniverse.VA_DATA_L1E;
    gprs[CpuState.RAX] = rax;
    return new GuestOp.Execute(0, code, false, gprs);
  }

  private final ReferenceEngine.Config config;

  public Sequences(ModelArgs args) {
    config = EngineUniverse.config(args);
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

  /** How many operations each state offers. */
  static long menuSize() {
    return MENU.size();
  }

  @Override
  protected Lockstep start(Choices choices, Events events) {
    GuestMachine guest = EngineUniverse.build(1).machine();
    ReferenceEngine engine = new ReferenceEngine(guest.copy(), config, EngineUniverse.CPU, EngineUniverse.EMULATOR);
    return new Lockstep(new ObservedEngine(engine), new NativePlatform(guest, EngineUniverse.CPU));
  }

  @Override
  protected @Nullable GuestOp nextOp(Lockstep state, Choices choices, Events events) {
    int write = choices.chooseInt(-1, TABLE_WRITES.length - 1);
    return write < 0 ? MENU.choose(choices) : TABLE_WRITES[write];
  }

  @Override
  protected void afterOp(Lockstep state, GuestOp op, OpResult result, Events events) {
    ObservedEngine engine = (ObservedEngine) state.system();
    for (String label : engine.lastCases()) {
      events.cover(label);
    }
    if (op instanceof GuestOp.LoadCr3) {
      events.cover(CR3_LOAD);
    } else if (op instanceof GuestOp.Invlpg) {
      events.cover(INVLPG);
    } else if (op instanceof GuestOp.Execute) {
      events.cover(TABLE_WRITE_INSTRUCTION);
    }
    if (events.tracing()) {
      events.note("handler cases: " + engine.lastCases());
    }
  }

  static final String CR3_LOAD = "CR3 load";
  static final String INVLPG = "INVLPG";
  static final String TABLE_WRITE_INSTRUCTION = "page-table write instruction completed";

  @Override
  protected void checkSystem(Platform system, Events events) {
    EngineUniverse.checkInvariants(((ObservedEngine) system).engine(), events);
  }

  @Override
  public String[] coverageLabels() {
    return new String[] {
      ObservedEngine.HARDWARE_DONE, ObservedEngine.FIXED_BUILT, ObservedEngine.FIXED_PROPAGATED,
      ObservedEngine.INJECT_NOT_PRESENT, ObservedEngine.INJECT_PROTECTION,
      ObservedEngine.EMULATED_TABLE_WRITE, ObservedEngine.FIXED_UNSHADOWED, ObservedEngine.INSTRUCTION_EMULATED,
      TABLE_WRITE_INSTRUCTION, CR3_LOAD, INVLPG
    };
  }
}
