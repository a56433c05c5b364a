package org.shadowref.check.trace;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.shadowref.arch.AccessKind;
import org.shadowref.arch.Addr;
import org.shadowref.arch.ControlRegisters;
import org.shadowref.arch.CpuModel;
import org.shadowref.arch.EntryBits;
import org.shadowref.arch.PagingMode;
import org.shadowref.emulate.CpuState;
import org.shadowref.memory.MachineMemory;
import org.shadowref.memory.P2m;
import org.shadowref.mmu.PageTableBuilder;
import org.shadowref.shadow.GuestMachine;
import org.shadowref.memory.P2mType;
import org.shadowref.shadow.GuestOp;
import org.shadowref.shadow.OpResult;
import org.shadowref.shadow.Vcpu;

class TraceFileTest {
  /** A 4-level guest with one user page mapped at 0x400000, an MMIO frame and a read-only frame. */
  static GuestMachine guest() {
    MachineMemory machine = new MachineMemory(16);
    P2m p2m = new P2m(12);
    for (int gfn = 0; gfn < 8; gfn++) {
      p2m.mapRam(Addr.gfn(gfn), Addr.mfn(gfn + 1), true);
    }
    p2m.mapRam(Addr.gfn(8), Addr.mfn(9), false);
    p2m.mapMmio(Addr.gfn(9));
    GuestMachine guest = new GuestMachine(machine, p2m, CpuModel.DEFAULT, new Vcpu[] {vcpu(0), vcpu(1)}, 12);
    int[] next = {0};
    PageTableBuilder tables = new PageTableBuilder(guest.physical(), PagingMode.FOUR_LEVEL, () -> Addr.gfn(next[0]++));
    tables.map(Addr.gva(0x400000), Addr.gpa(0x5000), 1, EntryBits.P | EntryBits.RW | EntryBits.US | EntryBits.NX,
        EntryBits.P | EntryBits.RW | EntryBits.US);
    guest.machine().write(Addr.maddr(0x9008), 8, 0x1234); // in the read-only frame
    ControlRegisters regs = ControlRegisters.forMode(PagingMode.FOUR_LEVEL, tables.root()).withEfer(
        ControlRegisters.EFER_LME | ControlRegisters.EFER_LMA | ControlRegisters.EFER_NXE);
    for (int id = 0; id < 2; id++) {
      guest.vcpu(id).setRegs(regs);
    }
    guest.vcpu(1).cpu().setGpr(CpuState.RBX, 0xdead_beefL);
    return guest;
  }

  private static Vcpu vcpu(int id) {
    return new Vcpu(id, ControlRegisters.pagingOff(), new CpuState(CpuState.Mode.LONG_64));
  }

  static List<GuestOp> everyKindOfOp() {
    long[] gprs = new long[16];
    gprs[CpuState.RAX] = 0x8000_0000_0000_0007L;
    return List.of(
        new GuestOp.MemoryAccess(0, Addr.gva(0x400010), AccessKind.WRITE, true, 8, 0xFFFF_FFFF_FFFF_FFFFL),
        new GuestOp.MemoryAccess(1, Addr.gva(0x400020), AccessKind.FETCH, false, 1, 0),
        new GuestOp.Execute(0, new byte[] {0x48, (byte) 0x89, 0x03}, false, gprs),
        new GuestOp.LoadCr3(1, 0x1000),
        new GuestOp.Invlpg(0, Addr.gva(0x400000)),
        new GuestOp.FlushTlb(1),
        new GuestOp.SetControl(0, 0x8001_0011L, 0x20, 0xD00, 0x40000),
        new GuestOp.SetP2m(1, Addr.gfn(0x10), P2mType.RAM, Addr.mfn(0x2), true),
        new GuestOp.SetP2m(0, Addr.gfn(0x11), P2mType.MMIO, Addr.mfn(P2m.INVALID_MFN), false),
        new GuestOp.Raced(new GuestOp.MemoryAccess(0, Addr.gva(0x401000), AccessKind.READ, true, 4, 0),
            new GuestOp.MemoryAccess(1, Addr.gva(0x600008), AccessKind.WRITE, false, 8, 0x11067)));
  }

  @Test
  void aWorldDescribesItsGuestExactly() {
    GuestMachine original = guest();
    GuestMachine rebuilt = GuestSnapshot.of(original).build();
    assertNull(original.firstGuestDifference(rebuilt));
    assertEquals(original.guestFingerprint(), rebuilt.guestFingerprint());
    assertEquals(0x1234, rebuilt.physical().read(Addr.gpa(0x8008), 8), "read-only RAM is loaded too");
  }

  @Test
  void aTraceSurvivesWritingAndReading(@TempDir Path dir) throws Exception {
    List<GuestOp> ops = everyKindOfOp();
    List<OpResult> expected = List.of(
        new OpResult(OpResult.Status.GUEST_FAULT, 0x400010, 7, 0, ""),
        new OpResult(OpResult.Status.OK, 0x6020, 0, 0xFF, ""),
        OpResult.DONE,
        OpResult.DONE,
        OpResult.DONE,
        new OpResult(OpResult.Status.MMIO, 0x9000, 0, 0, ""),
        OpResult.invalid("general protection"),
        OpResult.DONE,
        OpResult.DONE,
        new OpResult(OpResult.Status.OK, 0x11000, 0, 0x2222, ""));
    TraceFile trace = new TraceFile(
        GuestSnapshot.of(guest()), ops, expected,
        new TraceFile.Origin("NativeWalk", "depth=1", "prop", "why", List.of(new int[] {1, 2}, new int[0])));
    Path file = dir.resolve("trace.json");
    TraceWriter.write(trace, file);
    TraceFile read = TraceReader.read(file);
    assertEquals(trace.world(), read.world());
    assertEquals(ops, read.ops());
    assertEquals(expected, read.expected());
    TraceFile.Origin origin = read.origin();
    assertNotNull(origin);
    assertEquals("NativeWalk", origin.model());
    assertEquals("prop", origin.property());
    assertArrayEquals(new int[] {1, 2}, origin.choices().get(0));
    assertEquals(0, origin.choices().get(1).length);
    assertEquals(TraceWriter.toJson(trace), TraceWriter.toJson(read), "writing is a fixed point");
  }

  @Test
  void aHandWrittenTraceWithDefaultsReads() throws Exception {
    String json = String.join("\n",
        "{\"format\": \"shadowref-trace\", \"version\": 1,",
        " \"world\": {\"maxPhysAddr\": 36, \"machineFrames\": 4, \"guestFrameLimit\": 4, \"gfnCount\": 2,",
        "   \"p2m\": [{\"gfn\": 1, \"type\": \"ram\", \"mfn\": \"0x3\"}],",
        "   \"memory\": [{\"gpa\": \"0x1000\", \"value\": 4096, \"size\": 4}],",
        "   \"vcpus\": [{\"cr0\": \"0x80000001\", \"cr3\": \"0x1000\"}]},",
        " \"ops\": [{\"op\": \"access\", \"vcpu\": 0, \"va\": \"0x0\", \"kind\": \"read\", \"user\": false}]}");
    TraceFile trace = TraceReader.read(json, "hand.json");
    GuestSnapshot world = trace.world();
    assertNotNull(world);
    assertEquals(PagingMode.TWO_LEVEL, world.mode());
    assertEquals(CpuState.Mode.PROTECTED_32, world.vcpus().get(0).cpuMode());
    assertEquals(4096, world.build().physical().read(Addr.gpa(0x1000), 4));
    assertEquals(8, ((GuestOp.MemoryAccess) trace.ops().get(0)).size());
    assertNull(trace.expected());
  }

  private static String corrupt(String json) {
    TraceFormatException e = assertThrows(TraceFormatException.class, () -> TraceReader.read(json, "bad.json"));
    return e.getMessage();
  }

  private static String valid() {
    return TraceWriter.toJson(new TraceFile(GuestSnapshot.of(guest()), everyKindOfOp(), null, null));
  }

  @Test
  void corruptFilesAreRejectedWithLineAndField() {
    String json = valid();
    String unknownField = corrupt(json.replace("\"gfnCount\"", "\"gfnCuont\""));
    assertTrue(unknownField.startsWith("bad.json:"), unknownField);
    assertTrue(unknownField.contains("world.gfnCuont: unknown field"), unknownField);

    String badNumber = corrupt(json.replace("\"cr3\": \"0x0\", \"cr4\"", "\"cr3\": \"0xZZ\", \"cr4\""));
    assertTrue(badNumber.contains("cr3: \"0xZZ\" is not a 64-bit number"), badNumber);

    String badOp = corrupt(json.replace("\"op\": \"invlpg\"", "\"op\": \"invlpq\""));
    assertTrue(badOp.contains("ops[4].op: unknown operation \"invlpq\""), badOp);

    String badKind = corrupt(json.replace("\"kind\": \"fetch\"", "\"kind\": \"exec\""));
    assertTrue(badKind.contains("ops[1].kind: unknown access kind"), badKind);

    String truncated = corrupt(json.substring(0, json.length() / 2));
    assertTrue(truncated.matches("(?s)bad\\.json:\\d+:\\d+: not valid JSON: .*"), truncated);

    String missing = corrupt(json.replace("\"machineFrames\" : 16,", ""));
    assertTrue(missing.contains("world: missing field \"machineFrames\""), missing);

    String wrongType = corrupt(json.replace("\"user\": true", "\"user\": \"yes\""));
    assertTrue(wrongType.contains("ops[0].user: expected true or false, found the string \"yes\""), wrongType);

    String badVcpu = corrupt(json.replace("\"op\": \"flush\", \"vcpu\": 1", "\"op\": \"flush\", \"vcpu\": 5"));
    assertTrue(badVcpu.contains("ops[5]: vcpu 5 does not exist"), badVcpu);

    String ramOutsideGuest = corrupt(json.replace("\"mfn\": \"0x9\"", "\"mfn\": \"0xf\""));
    assertTrue(ramOutsideGuest.contains("world: gfn 0x8 is RAM at mfn 0xf, outside"), ramOutsideGuest);

    String wrongMode = corrupt(json.replace("\"mode\" : \"4level\"", "\"mode\" : \"pae\""));
    assertTrue(wrongMode.contains("world.mode: says \"pae\" but vcpus[0]'s registers select \"4level\""), wrongMode);

    String notATrace = corrupt("{\"format\": \"something-else\", \"version\": 1, \"ops\": []}");
    assertTrue(notATrace.contains("bad.json:1:12: format: this is not a trace"), notATrace);

    String duplicate = corrupt("{\"format\": \"shadowref-trace\", \"format\": \"x\"}");
    assertTrue(duplicate.contains("format: duplicate field"), duplicate);

    assertTrue(corrupt("").contains("bad.json:1:1: the file is empty"));
    assertTrue(corrupt(json + "[]").contains("unexpected content after the end"));
  }

  @Test
  void errorsNameTheRightLine() {
    String json = valid();
    String[] lines = json.split("\n");
    int line = 0;
    for (int i = 0; i < lines.length; i++) {
      if (lines[i].contains("\"op\": \"load-cr3\"")) {
        line = i + 1;
      }
    }
    String message = corrupt(json.replace("\"cr3\": \"0x1000\"}", "\"cr3\": true}"));
    assertTrue(message.startsWith("bad.json:" + line + ":"), message + " should be on line " + line);
  }
}
