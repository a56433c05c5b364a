package org.shadowref.shadow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.shadowref.check.invariants.InvariantRegistry;
import org.shadowref.check.trace.Scenario;
import org.shadowref.check.trace.ScenarioReader;
import org.shadowref.emulate.SdmExecutor;
import org.shadowref.emulate.X86Emulator;
import org.shadowref.shadow.core.ShadowEngine;
import org.shadowref.shadow.optimized.OptimizedConfig;
import org.shadowref.shadow.optimized.OptimizedEngine;
import org.shadowref.shadow.reference.ReferenceEngine;

/**
 * A pool so small that every fault makes room by dropping the shadows below the tops (two vCPUs
 * on two address spaces, each 2-on-3 top five frames of eighteen, leaving just one chain of room): an
 * instruction whose store straddles two pages under different l1 tables needs both pages' chains
 * at once, and each fault's room-making drops the other's. The handler must still finish the
 * instruction (by emulating it once it has dropped an earlier fault's chain), not retry forever.
 */
class SmallPoolTest {
  private static final SdmExecutor CPU = new SdmExecutor();
  private static final X86Emulator EMULATOR = new X86Emulator();

  private static final String STRADDLE = String.join("\n",
      "format: shadowref-scenario",
      "version: 1",
      "name: small-pool-straddle",
      "case: small-pool",
      "description: a 32-bit store across the last byte of one l1 table's region into the next's",
      "guest:",
      "  mode: 2level",
      "  vcpus: 2",
      "  shadowFrames: 18",
      "  mappings:",
      "    - {va: 0x3ff000, gpa: 0x10000, flags: [P, RW, US, A, D]}",
      "    - {va: 0x400000, gpa: 0x11000, flags: [P, RW, US, A, D]}",
      "steps:",
      "  - {op: load-cr3, vcpu: 1, cr3: 0x30000}",
      "  - {op: execute, vcpu: 0, code: \"c70744332211\", user: false,",
      "     gprs: [0, 0, 0, 0, 0, 0, 0, 0x3ffffe, 0, 0, 0, 0, 0, 0, 0, 0], expect: {status: ok}}",
      "  - {op: access, vcpu: 0, va: 0x3ffffc, kind: read, user: false, size: 4, expect: {status: ok, value: 0x33440000}}",
      "  - {op: access, vcpu: 0, va: 0x400000, kind: read, user: false, size: 4, expect: {status: ok, value: 0x1122}}",
      "");

  @Test
  void anInstructionWhoseChainsDoNotFitTogetherIsFinished() throws Exception {
    Scenario scenario = ScenarioReader.read(STRADDLE, "small-pool.yaml", true);
    List<ShadowEngine<?>> engines = List.of(
        new ReferenceEngine(scenario.world().build(), ReferenceEngine.Config.DEFAULT, CPU, EMULATOR),
        new OptimizedEngine(scenario.world().build(), OptimizedConfig.DEFAULT, CPU, EMULATOR),
        new OptimizedEngine(scenario.world().build(), OptimizedConfig.PLAIN, CPU, EMULATOR));
    for (ShadowEngine<?> engine : engines) {
      NativePlatform reference = new NativePlatform(scenario.world().build(), CPU);
      boolean dropped = false;
      for (GuestOp op : scenario.ops()) {
        assertEquals(reference.apply(op), engine.apply(op), engine.name() + ": " + op);
        assertEquals(List.of(), InvariantRegistry.violations(engine), engine.name() + " after " + op);
        dropped |= op instanceof GuestOp.Execute && engine.handlerLog().size() >= 2
            && engine.handlerLog().kind(engine.handlerLog().size() - 1).equals("EMULATED");
      }
      assertTrue(dropped, engine.name() + ": the instruction was finished by emulation after its chains were dropped");
    }
  }
}
