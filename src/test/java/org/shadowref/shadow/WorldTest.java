package org.shadowref.shadow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.shadowref.arch.AccessKind;
import org.shadowref.arch.Addr;
import org.shadowref.arch.ControlRegisters;
import org.shadowref.arch.CpuModel;
import org.shadowref.arch.PagingMode;
import org.shadowref.emulate.CpuState;
import org.shadowref.memory.MachineMemory;
import org.shadowref.memory.P2m;
import org.shadowref.memory.P2mType;

/**
 * The world every platform is built on, and the comparison that judges them. Both are shared by
 * native and the engines, so a differential campaign cannot see them wrong: a world built wrong
 * is merely another world, and a lenient comparison agrees with everything. These are their own
 * judges (and PIT's killers for them).
 */
class WorldTest {
  private static final int RAM = 6;

  @Test
  void ramIsMappedFrameForFrameAboveTheOffsetAndNothingPastIt() {
    World world = new World(2, RAM, 3, CpuModel.DEFAULT);
    P2m p2m = world.machine().p2m();
    assertEquals(RAM + World.SPARE_GFNS, p2m.gfnCount());
    for (int gfn = 0; gfn < RAM; gfn++) {
      assertEquals(P2mType.RAM, p2m.type(Addr.gfn(gfn)));
      assertEquals(gfn + World.MFN_OFFSET, p2m.mfn(Addr.gfn(gfn)));
    }
    assertEquals(P2mType.ABSENT, p2m.type(Addr.gfn(RAM)));
    assertEquals(RAM + World.MFN_OFFSET, world.machine().guestFrameLimit());
    assertEquals(RAM + World.MFN_OFFSET + 3, world.machine().machine().frameCount());
    assertTrue(world.machine().isGuestFrame(Addr.mfn(0)));
    assertTrue(world.machine().isGuestFrame(Addr.mfn(RAM + World.MFN_OFFSET - 1)));
    assertFalse(world.machine().isGuestFrame(Addr.mfn(RAM + World.MFN_OFFSET)));
    assertFalse(world.machine().isGuestFrame(Addr.mfn(-1)));
    assertEquals(2, world.machine().vcpuCount());
    assertEquals(ControlRegisters.pagingOff(), world.machine().vcpu(1).regs());
  }

  @Test
  void malformedWorldsAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> new World(0, RAM, 0, CpuModel.DEFAULT));
    assertThrows(IllegalArgumentException.class, () -> new World(1, 0, 0, CpuModel.DEFAULT));
    assertThrows(IllegalArgumentException.class, () -> new World(1, RAM, -1, CpuModel.DEFAULT));
    assertThrows(IllegalArgumentException.class, () -> new World(1, RAM, 0, CpuModel.DEFAULT, RAM + World.SPARE_GFNS - 1));
    assertEquals(RAM + World.SPARE_GFNS,
        new World(1, RAM, 0, CpuModel.DEFAULT, RAM + World.SPARE_GFNS).machine().p2m().gfnCount());
    World world = new World(1, 1, 0, CpuModel.DEFAULT);
    assertNotNull(world.machine().vcpu(0));
    assertThrows(IllegalArgumentException.class, () -> world.machine().vcpu(1));
    assertThrows(IllegalArgumentException.class, () -> world.machine().vcpu(-1));
    Vcpu[] one = {new Vcpu(0, ControlRegisters.pagingOff(), new CpuState(CpuState.Mode.PROTECTED_32))};
    assertEquals(4, new GuestMachine(new MachineMemory(4), new P2m(4), CpuModel.DEFAULT, one, 4).guestFrameLimit());
    assertThrows(IllegalArgumentException.class,
        () -> new GuestMachine(new MachineMemory(4), new P2m(4), CpuModel.DEFAULT, one, 5));
  }

  @Test
  void framesAreHandedOutLowestFirstZeroedAndNeverTwice() {
    World world = new World(1, 3, 0, CpuModel.DEFAULT);
    GuestMachine machine = world.machine();
    machine.machine().write(Addr.maddrOf(machine.p2m().mfn(Addr.gfn(1)), 8), 8, -1L);
    world.reserve(Addr.gfn(0));
    world.reserve(Addr.gfn(-1)); // outside RAM: nothing to reserve, no failure
    world.reserve(Addr.gfn(3));
    assertEquals(1, world.allocateFrame());
    assertEquals(0, machine.machine().read(Addr.maddrOf(machine.p2m().mfn(Addr.gfn(1)), 8), 8), "zeroed");
    assertEquals(2, world.allocateFrame());
    assertThrows(IllegalStateException.class, world::allocateFrame);

    World last = new World(1, 2, 0, CpuModel.DEFAULT);
    last.reserve(Addr.gfn(1));
    assertEquals(0, last.allocateFrame());
    assertThrows(IllegalStateException.class, last::allocateFrame);
  }

  @Test
  void p2mChangesGiveTheTypesTheyName() {
    World world = new World(1, RAM, 0, CpuModel.DEFAULT);
    P2m p2m = world.machine().p2m();
    world.mapMmio(Addr.gfn(2));
    assertEquals(P2mType.MMIO, p2m.type(Addr.gfn(2)));
    long mfn = p2m.mfn(Addr.gfn(3));
    world.makeReadOnly(Addr.gfn(3));
    assertEquals(P2mType.RAM_RO, p2m.type(Addr.gfn(3)));
    assertEquals(mfn, p2m.mfn(Addr.gfn(3)));

    long moved = p2m.mfn(Addr.gfn(4));
    world.relocate(Addr.gfn(4), Addr.gfn(RAM + 1));
    assertEquals(P2mType.ABSENT, p2m.type(Addr.gfn(4)));
    assertEquals(P2mType.RAM, p2m.type(Addr.gfn(RAM + 1)));
    assertEquals(moved, p2m.mfn(Addr.gfn(RAM + 1)));
    // Neither the device's gfn nor the moved frame's old gfn is handed out as a table later.
    for (int i = 0; i < RAM - 2; i++) {
      long gfn = world.allocateFrame();
      assertFalse(gfn == 2 || gfn == 4, "handed out " + gfn);
    }
    assertThrows(IllegalStateException.class, world::allocateFrame);
    // Moving onto something, or moving nothing, is refused.
    assertThrows(IllegalArgumentException.class, () -> world.relocate(Addr.gfn(5), Addr.gfn(0)));
    assertThrows(IllegalArgumentException.class, () -> world.relocate(Addr.gfn(4), Addr.gfn(RAM + 2)));
    assertThrows(IllegalArgumentException.class, () -> world.relocate(Addr.gfn(2), Addr.gfn(RAM + 2)));
  }

  @Test
  void registersGoToEveryVcpuWithTheInstructionModeOfTheirPagingMode() {
    World world = new World(2, RAM, 0, CpuModel.DEFAULT);
    for (PagingMode mode : PagingMode.values()) {
      ControlRegisters regs = ControlRegisters.forMode(mode, 0x3000);
      world.setRegs(regs);
      for (int id = 0; id < 2; id++) {
        assertEquals(regs, world.machine().vcpu(id).regs());
        assertEquals(mode == PagingMode.FOUR_LEVEL ? CpuState.Mode.LONG_64 : CpuState.Mode.PROTECTED_32,
            world.machine().vcpu(id).cpu().mode(), mode.toString());
      }
    }
    world.setRegs(1, ControlRegisters.pagingOff());
    assertEquals(CpuState.Mode.PROTECTED_32, world.machine().vcpu(1).cpu().mode());
    world.setRegs(0, ControlRegisters.forMode(PagingMode.FOUR_LEVEL, 0x3000));
    assertEquals(CpuState.Mode.LONG_64, world.machine().vcpu(0).cpu().mode());
    assertEquals(CpuState.Mode.PROTECTED_32, world.machine().vcpu(1).cpu().mode(), "one vCPU's registers only");
  }

  @Test
  void theComparisonSeesEveryDifferenceAGuestCouldObserve() {
    World world = new World(2, RAM, 0, CpuModel.DEFAULT);
    GuestMachine original = world.machine();
    assertNull(original.firstGuestDifference(original.copy()));

    for (int gfn : new int[] {0, RAM - 1}) {
      GuestMachine copy = original.copy();
      copy.machine().write(Addr.maddrOf(copy.p2m().mfn(Addr.gfn(gfn)), Addr.PAGE_SIZE - 8), 8, 0x5A);
      String difference = original.firstGuestDifference(copy);
      assertNotNull(difference, "frame " + gfn);
      assertTrue(difference.contains("offset 0xff8"), difference);
    }
    GuestMachine p2mChanged = original.copy();
    p2mChanged.p2m().mapMmio(Addr.gfn(RAM - 1));
    assertEquals("the P2M differs", original.firstGuestDifference(p2mChanged));

    GuestMachine regsChanged = original.copy();
    regsChanged.vcpu(1).setRegs(ControlRegisters.forMode(PagingMode.PAE, 0x20));
    assertTrue(String.valueOf(original.firstGuestDifference(regsChanged)).startsWith("vcpu1 differs"));
    GuestMachine cpuChanged = original.copy();
    cpuChanged.vcpu(1).cpu().setMode(CpuState.Mode.LONG_64);
    assertTrue(String.valueOf(original.firstGuestDifference(cpuChanged)).startsWith("vcpu1 differs"));

    // The fingerprint (explorer states, copies) tells the same differences apart.
    long fingerprint = original.guestFingerprint();
    assertEquals(fingerprint, original.copy().guestFingerprint());
    for (GuestMachine changed : new GuestMachine[] {p2mChanged, regsChanged, cpuChanged}) {
      assertFalse(fingerprint == changed.guestFingerprint());
    }
    for (int gfn : new int[] {0, RAM - 1}) {
      GuestMachine copy = original.copy();
      copy.machine().write(Addr.maddrOf(copy.p2m().mfn(Addr.gfn(gfn)), 0), 8, 1);
      assertFalse(fingerprint == copy.guestFingerprint(), "frame " + gfn);
      // copyInto makes a changed copy equal to the original again.
      original.copyInto(copy);
      assertNull(original.firstGuestDifference(copy));
      assertEquals(fingerprint, copy.guestFingerprint());
    }
    GuestMachine restored = original.copy();
    restored.vcpu(1).setRegs(ControlRegisters.forMode(PagingMode.PAE, 0x20));
    original.copyInto(restored);
    assertNull(original.firstGuestDifference(restored), "copyInto restores the vCPUs");
    assertThrows(IllegalArgumentException.class, () -> original.copyInto(new World(1, RAM, 0, CpuModel.DEFAULT).machine()));
    assertThrows(IllegalArgumentException.class, () -> original.copyInto(new World(2, RAM + 1, 0, CpuModel.DEFAULT).machine()));
    assertThrows(IllegalArgumentException.class,
        () -> original.copyInto(new World(2, RAM, 0, new CpuModel(52)).machine()));

    // Hypervisor frames are not the guest's: a difference there is none the guest can see.
    World withShadows = new World(1, RAM, 2, CpuModel.DEFAULT);
    GuestMachine shadowChanged = withShadows.machine().copy();
    shadowChanged.machine().write(Addr.maddrOf(Addr.mfn(RAM + World.MFN_OFFSET), 0), 8, 1);
    assertNull(withShadows.machine().firstGuestDifference(shadowChanged));
  }

  @Test
  void accessesCrossingAPageOrOfNoSizeAreNotOperations() {
    for (int size : new int[] {1, 2, 4, 8}) {
      assertEquals(size, new GuestOp.MemoryAccess(0, Addr.gva(Addr.PAGE_SIZE - size), AccessKind.READ, false, size, 0).size());
      final int width = size;
      if (size > 1) {
        assertThrows(IllegalArgumentException.class,
            () -> new GuestOp.MemoryAccess(0, Addr.gva(Addr.PAGE_SIZE - width + 1), AccessKind.READ, false, width, 0));
      }
    }
    for (int size : new int[] {0, 3, 16}) {
      final int width = size;
      assertThrows(IllegalArgumentException.class,
          () -> new GuestOp.MemoryAccess(0, Addr.gva(0), AccessKind.WRITE, false, width, 0));
    }
    assertThrows(IllegalArgumentException.class, () -> new GuestOp.Execute(0, new byte[] {(byte) 0x90}, false, new long[15]));
  }
}
