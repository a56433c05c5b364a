package org.shadowref.shadow.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.shadowref.arch.AccessKind;
import org.shadowref.arch.Addr;
import org.shadowref.check.invariants.InvariantRegistry;
import org.shadowref.emulate.CpuState;
import org.shadowref.emulate.InstructionExecutor;
import org.shadowref.emulate.SdmExecutor;
import org.shadowref.emulate.X86Emulator;
import org.shadowref.shadow.GuestOp;
import org.shadowref.emulate.Stores;
import org.shadowref.shadow.NativePlatform;
import org.shadowref.shadow.OpResult;
import org.shadowref.shadow.World;

/** The native machine and the reference engine forked from one world, driven in lockstep. */
final class Twin {
  /** The CPU is the independent SDM oracle; the engine emulates with the hypervisor's emulator. */
  static final InstructionExecutor CPU = new SdmExecutor();
  static final InstructionExecutor EMULATOR = new X86Emulator();

  final NativePlatform oracle;
  final ReferenceEngine engine;

  Twin(World world) {
    this(world, ReferenceEngine.Config.DEFAULT);
  }

  Twin(World world, ReferenceEngine.Config config) {
    oracle = new NativePlatform(world.machine().copy(), CPU);
    engine = new ReferenceEngine(world.machine().copy(), config, CPU, EMULATOR);
    assertInvariants("start");
  }

  /** Applies {@code op} to both; they must agree on the result and on all guest memory. */
  OpResult apply(GuestOp op) {
    OpResult expected = oracle.apply(op);
    OpResult actual = engine.apply(op);
    assertEquals(expected, actual, "result of " + op);
    assertNull(oracle.guest().firstGuestDifference(engine.guest()), "guest state after " + op);
    assertInvariants("after " + op);
    return actual;
  }

  void assertInvariants(String when) {
    List<String> violations = InvariantRegistry.violations(engine);
    assertTrue(violations.isEmpty(), when + ": " + violations);
  }

  OpResult read(long va, boolean user) {
    return apply(new GuestOp.MemoryAccess(0, Addr.gva(va), AccessKind.READ, user, 8, 0));
  }

  OpResult write(long va, long value, boolean user) {
    return apply(new GuestOp.MemoryAccess(0, Addr.gva(va), AccessKind.WRITE, user, 8, value));
  }

  OpResult fetch(long va, boolean user) {
    return apply(new GuestOp.MemoryAccess(0, Addr.gva(va), AccessKind.FETCH, user, 4, 0));
  }

  OpResult store(long va, long value, boolean user) {
    long[] gprs = new long[16];
    gprs[CpuState.RAX] = value;
    gprs[CpuState.RDI] = va;
    return apply(new GuestOp.Execute(0, Stores.STORE_64, user, gprs));
  }
}
