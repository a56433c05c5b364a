package org.shadowref.check.gen;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.quicktheories.core.Gen;
import org.quicktheories.impl.Constraint;
import org.shadowref.arch.AccessKind;
import org.shadowref.arch.Addr;
import org.shadowref.arch.ControlRegisters;
import org.shadowref.arch.EntryBits;
import org.shadowref.arch.PagingMode;
import org.shadowref.emulate.CpuState;
import org.shadowref.mmu.PageTableBuilder;
import org.shadowref.shadow.GuestOp;
import org.shadowref.shadow.World;

/**
 * Generated guests and operation sequences for differential testing.
 *
 * <p>A guest has two vCPUs and two address spaces in one paging mode, with shared tables (both
 * spaces map the same slots through separate tables onto shared frames), aliases (several VAs
 * onto one frame), a recursive self-map, windows onto its own page tables (so stores hit page
 * tables), superpages, entries with reserved bits, and a P2M with RAM, read-only RAM, MMIO and a
 * hole. Edge cases are placed on purpose rather than left to chance: the last entry of a table,
 * the top of the address space, entries at the MAXPHYADDR limit, accesses at the last bytes of a
 * page.
 *
 * <p>Everything is drawn from a {@link Random}, so the CLI runs the same generator from a seed
 * outside JUnit; {@link #cases} wraps it as a QuickTheories {@link Gen}.
 */
public final class Guests {
  /** Virtual slots every address space may map (4 KiB apart, on different l1 tables). */
  private static final long[] SLOTS = {0x0040_0000L, 0x0040_1000L, 0x0060_0000L, 0x0060_3000L};
  /** Where an address space maps windows onto its own page-table frames. */
  private static final long WINDOWS = 0x0100_0000L;
  /** Where a device page may be mapped, in the l1 table of the first two slots. */
  private static final long DEVICE_VA = 0x0040_2000L;
  /** Where a superpage may be mapped. */
  private static final long SUPERPAGE_VA = 0x0080_0000L;

  /**
   * Instructions that store through [rdi] (or [edi]) with every width and kind a guest uses to
   * write page tables: MOV 8/16/32(/64), XCHG, CMPXCHG, CMPXCHG8B, LOCK OR/AND, LOCK BTS/BTR.
   */
  private static final byte[][] STORES_32 = {
    {(byte) 0x88, 0x07}, // mov [edi], al
    {0x66, (byte) 0x89, 0x07}, // mov [edi], ax
    {(byte) 0x89, 0x07}, // mov [edi], eax
    {(byte) 0x87, 0x07}, // xchg [edi], eax
    {0x0F, (byte) 0xB1, 0x1F}, // cmpxchg [edi], ebx
    {0x0F, (byte) 0xC7, 0x0F}, // cmpxchg8b [edi]
    {(byte) 0xF0, 0x09, 0x07}, // lock or [edi], eax
    {(byte) 0xF0, 0x21, 0x07}, // lock and [edi], eax
    {(byte) 0xF0, 0x0F, (byte) 0xBA, 0x2F, 0x01}, // lock bts dword [edi], 1
    {(byte) 0xF0, 0x0F, (byte) 0xBA, 0x37, 0x00}, // lock btr dword [edi], 0
  };
  private static final byte[][] STORES_64 = {
    {(byte) 0x88, 0x07}, // mov [rdi], al
    {0x66, (byte) 0x89, 0x07}, // mov [rdi], ax
    {(byte) 0x89, 0x07}, // mov [rdi], eax
    {0x48, (byte) 0x89, 0x07}, // mov [rdi], rax
    {0x48, (byte) 0x87, 0x07}, // xchg [rdi], rax
    {0x48, 0x0F, (byte) 0xB1, 0x1F}, // cmpxchg [rdi], rbx
    {0x0F, (byte) 0xC7, 0x0F}, // cmpxchg8b [rdi]
    {(byte) 0xF0, 0x48, 0x09, 0x07}, // lock or [rdi], rax
    {(byte) 0xF0, 0x48, 0x21, 0x07}, // lock and [rdi], rax
    {(byte) 0xF0, 0x48, 0x0F, (byte) 0xBA, 0x2F, 0x01}, // lock bts qword [rdi], 1
    {(byte) 0xF0, 0x48, 0x0F, (byte) 0xBA, 0x37, 0x00}, // lock btr qword [rdi], 0
  };

  private final Random random;
  private final World world = new World(2, 40, 48);
  private final PagingMode mode;
  private final List<Long> roots = new ArrayList<>();
  private final List<Long> vas = new ArrayList<>();
  private final List<Long> windows = new ArrayList<>();
  private final List<Long> frames = new ArrayList<>();
  private final ControlRegisters[] regs = new ControlRegisters[2];

  private Guests(Random random, @Nullable PagingMode forced) {
    this.random = random;
    int shape = random.nextInt(3);
    mode = forced != null ? forced
        : shape == 0 ? PagingMode.TWO_LEVEL : shape == 1 ? PagingMode.PAE : PagingMode.FOUR_LEVEL;
    build();
  }

  /** A QuickTheories generator of cases with {@code minOps..maxOps} operations. */
  public static Gen<GeneratedCase> cases(int minOps, int maxOps) {
    return in -> {
      long seed = in.next(Constraint.none());
      Random random = new Random(seed);
      return generate(random, minOps + random.nextInt(maxOps - minOps + 1), null);
    };
  }

  /** One case with {@code ops} operations drawn from {@code random}, in {@code mode} or any. */
  public static GeneratedCase generate(Random random, int ops, @Nullable PagingMode mode) {
    Guests guest = new Guests(random, mode);
    List<GuestOp> list = new ArrayList<>();
    for (int i = 0; i < ops; i++) {
      list.add(guest.nextOp());
    }
    return new GeneratedCase(org.shadowref.check.trace.World.of(guest.world.machine()), list);
  }

  /** An endless source of operations on one generated guest (for long campaigns). */
  public static final class Stream {
    private final Guests guest;
    /** The guest, with no operations yet. */
    public final GeneratedCase start;

    public Stream(Random random, @Nullable PagingMode mode) {
      guest = new Guests(random, mode);
      start = new GeneratedCase(org.shadowref.check.trace.World.of(guest.world.machine()), List.of());
    }

    /** The next operation (it may depend on the control state the earlier ones set). */
    public GuestOp next() {
      return guest.nextOp();
    }
  }

  private void build() {
    for (int i = 0; i < 4; i++) {
      frames.add(world.allocateFrame());
    }
    long readOnly = world.allocateFrame();
    world.makeReadOnly(Addr.gfn(readOnly));
    frames.add(readOnly);
    frames.add((long) world.ramFrames()); // MMIO
    world.mapMmio(Addr.gfn(world.ramFrames()));
    frames.add((long) world.ramFrames() + 1); // a hole: nothing behind it
    for (int space = 0; space < 2; space++) {
      PageTableBuilder tables = world.pageTables(mode);
      roots.add(tables.root());
      List<Long> mapped = new ArrayList<>();
      for (long slot : SLOTS) {
        if (random.nextInt(4) == 0) {
          continue;
        }
        long target = frames.get(random.nextInt(frames.size()));
        tables.map(Addr.gva(slot), Addr.gpaOf(Addr.gfn(target), 0), 1, leafFlags(), directoryFlags());
        vas.add(slot);
        mapped.add(slot);
      }
      if (random.nextBoolean()) {
        // A device page mapped with every right and A and D set (what a shadow engine's MMIO
        // fast path serves), and beside it one whose A and D are still clear.
        long device = Addr.gpaOf(Addr.gfn(world.ramFrames()), 0);
        long all = EntryBits.P | EntryBits.RW | EntryBits.US;
        tables.map(Addr.gva(DEVICE_VA), Addr.gpa(device), 1, all | EntryBits.A | EntryBits.D, directoryFlags());
        tables.map(Addr.gva(DEVICE_VA + 0x1000), Addr.gpa(device), 1, all, directoryFlags());
        vas.add(DEVICE_VA);
        vas.add(DEVICE_VA + 0x1000);
      }
      // The last entry of the table and the top of the address space.
      long top = mode == PagingMode.FOUR_LEVEL ? 0xFFFF_FFFF_FFFF_F000L : 0xFFFF_F000L;
      if (random.nextBoolean()) {
        tables.map(Addr.gva(top), Addr.gpaOf(Addr.gfn(frames.get(random.nextInt(4))), 0), 1, leafFlags(), directoryFlags());
        vas.add(top);
      }
      if (random.nextBoolean()) {
        int level = mode == PagingMode.FOUR_LEVEL && random.nextBoolean() ? 3 : 2;
        long va = level == 3 ? 0xC000_0000L : SUPERPAGE_VA;
        tables.map(Addr.gva(va), Addr.gpa(0), level, leafFlags() | EntryBits.PS, EntryBits.P | EntryBits.RW | EntryBits.US);
        vas.add(va + 0x3000);
      }
      if (random.nextInt(4) == 0) {
        // A recursive self-map: the last top-level entry points at the top-level table itself.
        long selfVa = mode == PagingMode.FOUR_LEVEL ? 0xFFFF_FF80_0000_0000L : mode == PagingMode.PAE ? 0x4000_0000L : 0xFFC0_0000L;
        if (mode != PagingMode.PAE) {
          tables.setEntry(Addr.gva(selfVa), mode.levels(), tables.root() | EntryBits.P | EntryBits.RW);
          vas.add(selfVa);
        }
      }
      if (random.nextInt(5) == 0 && mode != PagingMode.TWO_LEVEL && !mapped.isEmpty()) {
        // An entry with a frame above MAXPHYADDR: a reserved-bit fault when walked.
        long va = mapped.get(random.nextInt(mapped.size()));
        tables.setEntry(Addr.gva(va), 1, (1L << 45) | EntryBits.P | EntryBits.RW | EntryBits.US);
      }
      // Windows onto this space's page tables, so the guest can edit them (tables mapped as data).
      List<Long> tableFrames = new ArrayList<>();
      for (long slot : SLOTS) {
        for (int level = 1; level <= mode.levels(); level++) {
          long entry = tables.entryAddressFor(Addr.gva(slot), level);
          if (entry >= 0 && !tableFrames.contains(entry >>> 12)) {
            tableFrames.add(entry >>> 12);
          }
        }
      }
      for (int i = 0; i < tableFrames.size() && i < 3; i++) {
        long window = WINDOWS + (space * 4L + i) * 0x1000;
        tables.map(Addr.gva(window), Addr.gpaOf(Addr.gfn(tableFrames.get(i)), 0), 1,
            EntryBits.P | EntryBits.RW | (random.nextBoolean() ? EntryBits.US : 0), EntryBits.P | EntryBits.RW | EntryBits.US);
        windows.add(window);
      }
    }
    ControlRegisters start = ControlRegisters.forMode(mode, roots.get(0));
    start = start.withCr0(start.cr0() | (random.nextInt(4) == 0 ? 0 : ControlRegisters.CR0_WP))
        .withCr4(start.cr4() | (random.nextBoolean() ? ControlRegisters.CR4_PSE : 0));
    if (mode != PagingMode.TWO_LEVEL && random.nextBoolean()) {
      start = start.withEfer(start.efer() | ControlRegisters.EFER_NXE);
    }
    world.setRegs(start);
    regs[0] = start;
    regs[1] = start;
  }

  private long leafFlags() {
    long flags = random.nextInt(8) == 0 ? 0 : EntryBits.P;
    flags |= random.nextInt(3) == 0 ? 0 : EntryBits.RW;
    flags |= random.nextInt(3) == 0 ? 0 : EntryBits.US;
    flags |= random.nextInt(3) == 0 ? EntryBits.A : 0;
    flags |= random.nextInt(4) == 0 ? EntryBits.D : 0;
    flags |= random.nextInt(8) == 0 ? EntryBits.G : 0;
    if (mode != PagingMode.TWO_LEVEL && random.nextInt(4) == 0) {
      flags |= EntryBits.NX;
    }
    return flags;
  }

  private long directoryFlags() {
    long flags = EntryBits.P | EntryBits.RW | EntryBits.US;
    if (random.nextInt(5) == 0) {
      flags &= ~EntryBits.RW;
    }
    if (random.nextInt(5) == 0) {
      flags &= ~EntryBits.US;
    }
    return flags;
  }

  private GuestOp nextOp() {
    int vcpu = random.nextInt(4) == 0 ? 1 : 0;
    boolean user = random.nextInt(3) == 0;
    ControlRegisters now = regs[vcpu];
    switch (random.nextInt(11)) {
      case 0:
      case 1:
      case 2:
        return access(vcpu, pick(vas) + 8L * random.nextInt(512), user);
      case 3: {
        // A store of a whole entry into a page table through a window.
        long va = pick(windows) + (long) mode.entryBytes() * entryIndex(4096 / mode.entryBytes());
        long value = Addr.gpaOf(Addr.gfn(pick(frames)), 0) | leafFlags();
        return new GuestOp.MemoryAccess(vcpu, Addr.gva(va), AccessKind.WRITE, user, mode.entryBytes(), value);
      }
      case 4: {
        long[] gprs = new long[16];
        gprs[CpuState.RDI] = pick(random.nextBoolean() ? windows : vas) + 8L * entryIndex(512);
        gprs[CpuState.RAX] = Addr.gpaOf(Addr.gfn(pick(frames)), 0) | leafFlags();
        gprs[CpuState.RDX] = random.nextInt(4) == 0 ? 0 : random.nextLong();
        gprs[CpuState.RCX] = random.nextLong();
        gprs[CpuState.RBX] = random.nextLong();
        boolean longMode = now.pagingMode() == PagingMode.FOUR_LEVEL;
        byte[][] forms = longMode ? STORES_64 : STORES_32;
        return new GuestOp.Execute(vcpu, forms[random.nextInt(forms.length)], user, gprs);
      }
      case 5:
        regs[vcpu] = now.withCr3(roots.get(random.nextInt(roots.size())));
        return new GuestOp.LoadCr3(vcpu, regs[vcpu].cr3());
      case 6: {
        long[] bits = {ControlRegisters.CR0_WP, ControlRegisters.CR4_SMEP, ControlRegisters.CR4_SMAP,
            ControlRegisters.EFER_NXE, ControlRegisters.RFLAGS_AC, ControlRegisters.CR4_PSE};
        int which = random.nextInt(bits.length);
        if (mode == PagingMode.TWO_LEVEL && which == 3) {
          which = 0; // NXE needs PAE-format entries to mean anything
        }
        regs[vcpu] = now.with(which == 0 ? 0 : which <= 2 || which == 5 ? 4 : which == 3 ? 8 : 9,
            bits[which], random.nextBoolean());
        return control(vcpu);
      }
      case 7: {
        ControlRegisters on = ControlRegisters.forMode(mode, now.cr3());
        ControlRegisters target = now.pagingEnabled() ? ControlRegisters.pagingOff().withCr3(now.cr3()) : on;
        regs[vcpu] = new ControlRegisters(target.cr0() | (now.cr0() & ControlRegisters.CR0_WP), now.cr3(),
            target.cr4() | (now.cr4() & ControlRegisters.CR4_PSE), target.efer(), now.rflags());
        return control(vcpu);
      }
      case 8:
        return random.nextBoolean() ? new GuestOp.Invlpg(vcpu, Addr.gva(pick(vas))) : new GuestOp.FlushTlb(vcpu);
      case 9:
        // Aliases: the frames' own guest-physical addresses, which paging-off vCPUs and
        // identity-like mappings reach.
        return access(vcpu, (pick(frames) << 12) + 8L * random.nextInt(512), user);
      default:
        // Page-end accesses of every size: the last bytes an access may touch.
        return access(vcpu, pick(vas) | 0xFF8L, user);
    }
  }

  private GuestOp control(int vcpu) {
    ControlRegisters r = regs[vcpu];
    return new GuestOp.SetControl(vcpu, r.cr0(), r.cr4(), r.efer(), r.rflags());
  }

  private GuestOp access(int vcpu, long va, boolean user) {
    int size = 1 << random.nextInt(4);
    long offset = Addr.pageOffset(va);
    long aligned = offset + size > Addr.PAGE_SIZE ? va - size : va;
    AccessKind kind = AccessKind.values()[random.nextInt(AccessKind.values().length)];
    return new GuestOp.MemoryAccess(vcpu, Addr.gva(aligned), kind, user, size, random.nextLong());
  }

  /** An entry index biased towards the first and last entries of a table. */
  private int entryIndex(int entries) {
    int roll = random.nextInt(8);
    return roll == 0 ? 0 : roll == 1 ? entries - 1 : random.nextInt(entries);
  }

  private long pick(List<Long> values) {
    return values.isEmpty() ? 0x1000 : values.get(random.nextInt(values.size()));
  }
}
