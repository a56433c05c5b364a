package org.shadowref.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.shadowref.arch.AccessKind;
import org.shadowref.arch.Addr;
import org.shadowref.arch.ControlRegisters;
import org.shadowref.arch.EntryBits;
import org.shadowref.arch.PagingMode;
import org.shadowref.arch.qual.Gfn;
import org.shadowref.arch.qual.Gva;
import org.shadowref.emulate.CpuState;
import org.shadowref.mmu.PageTableBuilder;
import org.shadowref.shadow.GuestOp;
import org.shadowref.shadow.World;

/**
 * Builds the benchmark workloads from a seed, for any paging mode. Guests are built the way the
 * tests build them ({@link World}, {@link PageTableBuilder}); the seed decides which guest frame
 * backs which page and the order of the random choices, so one seed always gives one workload.
 *
 * <p>Every guest has one vCPU with paging on and CR0.WP set, and {@value #SHADOW_FRAMES} machine
 * frames (1 MiB) of shadow memory: room for every workload's shadows, so the benchmarks time the
 * fault paths rather than shadow-memory pressure.
 */
public final class Workloads {
  /** Frames of shadow memory every benchmark guest gets. */
  public static final int SHADOW_FRAMES = 256;

  /** Where the demand and write storms map their region (2 MiB aligned: it starts a fresh l1). */
  static final long REGION = 0x0040_0000L;
  /** Where the write storm and the mixed workload map windows onto their own page tables. */
  static final long WINDOWS = 0x0100_0000L;
  /** The pages each address space of the switch storm touches after a CR3 load. */
  static final long CODE = 0x0040_0000L;
  static final long DATA = 0x0060_0000L;
  static final long STACK = 0x7FFF_F000L;
  static final long KERNEL = 0xC000_0000L;
  /** Pages of each address space in the mixed workload. */
  static final int MIXED_PAGES = 64;
  static final int MIXED_SPACES = 8;

  private static final long USER_PAGE = EntryBits.P | EntryBits.RW | EntryBits.US;
  /**
   * A writable anonymous page as Linux x86 maps it: its protections (PAGE_SHARED, PAGE_COPY and
   * the rest) include _PAGE_ACCESSED, and do_anonymous_page marks the PTE dirty when the VMA is
   * writable, so a PTE Linux makes already has A and D set. (A guest PTE with A clear can never
   * be prefetched: its shadow must stay not present until the guest's first touch sets A.)
   */
  private static final long LINUX_ANON_PAGE = USER_PAGE | EntryBits.A | EntryBits.D;
  private static final long DIRECTORY = EntryBits.P | EntryBits.RW | EntryBits.US;
  private static final long KERNEL_PAGE = EntryBits.P | EntryBits.RW | EntryBits.A | EntryBits.D;

  /** How big each workload is. */
  public record Size(int demandPages, int writePages, int switchSpaces, int switchRounds, int mixedOps) {
    /** What {@code ./shadowref bench} runs: storms of about a thousand faults each. */
    public static final Size STANDARD = new Size(1024, 512, 32, 8, 4096);
    /** For tests: the same shapes, a few dozen faults each. */
    public static final Size SMALL = new Size(64, 16, 4, 2, 64);

    public Size {
      if (demandPages < 1 || writePages < 1 || switchSpaces < 2 || switchRounds < 1 || mixedOps < 1) {
        throw new IllegalArgumentException("workload sizes must be positive (and two address spaces at least)");
      }
    }
  }

  private Workloads() {}

  public static Workload build(WorkloadKind kind, PagingMode mode, Size size, long seed) {
    switch (kind) {
      case DEMAND:
        return demandStorm(mode, size.demandPages(), seed);
      case WRITE:
        return writeStorm(mode, size.writePages(), seed);
      case SWITCH:
        return switchStorm(mode, size.switchSpaces(), size.switchRounds(), seed);
      default:
        return mixed(mode, size.mixedOps(), seed);
    }
  }

  /**
   * Demand-fault storm: {@code pages} pages the guest kernel has mapped as Linux x86 maps
   * writable anonymous memory (present, writable, A and D set: {@link #LINUX_ANON_PAGE}), then one
   * user write to each in address order, as a process writing freshly populated memory. On a
   * fresh engine no page has a shadow entry, so on the reference engine each write takes exactly
   * one shadow fault, which builds whatever shadow levels are missing; an engine that prefetches
   * fills the following shadow entries in the same fault.
   */
  public static Workload demandStorm(PagingMode mode, int pages, long seed) {
    Random random = new Random(seed);
    World world = new World(1, pages + 16, SHADOW_FRAMES);
    PageTableBuilder tables = world.pageTables(mode);
    long[] frames = dataFrames(world, pages, random);
    for (int page = 0; page < pages; page++) {
      tables.map(Addr.gva(REGION + page * Addr.PAGE_SIZE), Addr.gpaOf(Addr.gfn(frames[page]), 0), 1, LINUX_ANON_PAGE,
          DIRECTORY);
    }
    world.startPaging(tables);
    List<GuestOp> ops = new ArrayList<>();
    for (int page = 0; page < pages; page++) {
      long va = REGION + page * Addr.PAGE_SIZE + 8L * random.nextInt(512);
      ops.add(new GuestOp.MemoryAccess(0, Addr.gva(va), AccessKind.WRITE, true, 8, random.nextLong()));
    }
    return new Workload(WorkloadKind.DEMAND, mode, world.machine(), ops);
  }

  /**
   * Page-table write storm: a kernel forking a process and breaking copy-on-write, through real
   * instruction bytes. {@code pages} pages (at most one l1 table's worth) are mapped, and a kernel
   * window maps their l1 table. After one read has shadowed that l1, for each page in turn: a MOV
   * store write-protects its PTE (fork) and INVLPG drops the old translation, the user reads the
   * page, a MOV store points the PTE at a fresh frame, writable (the COW break), INVLPG again, and
   * the user writes the page. Every store hits a shadowed, hence write-protected, l1: one fault
   * each, emulated; the accesses find their shadow entries already revalidated. The INVLPGs are
   * what a kernel issues after changing a live PTE; an engine with out-of-sync shadows may rely
   * on them, as a CPU's TLB does.
   */
  public static Workload writeStorm(PagingMode mode, int pages, long seed) {
    if (pages > 512) {
      throw new IllegalArgumentException("the write storm rewrites one l1 table: at most 512 pages, got " + pages);
    }
    Random random = new Random(seed);
    World world = new World(1, 2 * pages + 16, SHADOW_FRAMES);
    PageTableBuilder tables = world.pageTables(mode);
    long[] frames = dataFrames(world, pages, random);
    long[] copies = dataFrames(world, pages, random);
    long touched = LINUX_ANON_PAGE;
    for (int page = 0; page < pages; page++) {
      tables.map(Addr.gva(REGION + page * Addr.PAGE_SIZE), Addr.gpaOf(Addr.gfn(frames[page]), 0), 1, touched, DIRECTORY);
    }
    long l1 = tables.entryAddressFor(Addr.gva(REGION), 1) & ~Addr.OFFSET_MASK;
    tables.map(Addr.gva(WINDOWS), Addr.gpa(l1), 1, KERNEL_PAGE, DIRECTORY);
    world.startPaging(tables);
    List<GuestOp> ops = new ArrayList<>();
    ops.add(new GuestOp.MemoryAccess(0, Addr.gva(REGION), AccessKind.READ, true, 8, 0));
    for (int page = 0; page < pages; page++) {
      @Gva long va = Addr.gva(REGION + page * Addr.PAGE_SIZE);
      long pte = WINDOWS + (long) page * mode.entryBytes();
      long shared = Addr.gpaOf(Addr.gfn(frames[page]), 0) | (touched & ~EntryBits.RW);
      long copied = Addr.gpaOf(Addr.gfn(copies[page]), 0) | touched;
      ops.add(store(mode, pte, shared));
      ops.add(new GuestOp.Invlpg(0, va));
      ops.add(new GuestOp.MemoryAccess(0, va, AccessKind.READ, true, 8, 0));
      ops.add(store(mode, pte, copied));
      ops.add(new GuestOp.Invlpg(0, va));
      ops.add(new GuestOp.MemoryAccess(0, va, AccessKind.WRITE, true, 8, random.nextLong()));
    }
    return new Workload(WorkloadKind.WRITE, mode, world.machine(), ops);
  }

  /**
   * Context-switch storm: {@code spaces} address spaces, each with its own tables mapping a code,
   * a data, a stack and a kernel page, visited {@code rounds} times in a seeded order (never the
   * same space twice in a row). After each CR3 load the guest fetches code, writes data and stack
   * and reads the kernel page. The reference engine drops a space's shadows when its top shadow
   * loses its last vCPU, so every visit re-faults all four pages.
   */
  public static Workload switchStorm(PagingMode mode, int spaces, int rounds, long seed) {
    Random random = new Random(seed);
    World world = new World(1, spaces * 16 + 16, SHADOW_FRAMES);
    @Gfn long kernelFrame = world.allocateFrame();
    long[] roots = new long[spaces];
    for (int space = 0; space < spaces; space++) {
      PageTableBuilder tables = world.pageTables(mode);
      long[] frames = dataFrames(world, 3, random);
      long[] vas = {CODE, DATA, STACK};
      for (int page = 0; page < vas.length; page++) {
        tables.map(Addr.gva(vas[page]), Addr.gpaOf(Addr.gfn(frames[page]), 0), 1, USER_PAGE, DIRECTORY);
      }
      tables.map(Addr.gva(KERNEL), Addr.gpaOf(kernelFrame, 0), 1, KERNEL_PAGE, DIRECTORY);
      roots[space] = tables.root();
    }
    startPaging(world, mode, roots[0]);
    List<GuestOp> ops = new ArrayList<>();
    int current = 0;
    for (int round = 0; round < rounds; round++) {
      for (int space : visitOrder(spaces, current, random)) {
        current = space;
        ops.add(new GuestOp.LoadCr3(0, roots[space]));
        ops.add(new GuestOp.MemoryAccess(0, Addr.gva(CODE + 16L * random.nextInt(256)), AccessKind.FETCH, true, 4, 0));
        ops.add(new GuestOp.MemoryAccess(0, Addr.gva(DATA + 8L * random.nextInt(512)), AccessKind.WRITE, true, 8, random.nextLong()));
        ops.add(new GuestOp.MemoryAccess(0, Addr.gva(STACK + 0xFF8), AccessKind.WRITE, true, 8, random.nextLong()));
        ops.add(new GuestOp.MemoryAccess(0, Addr.gva(KERNEL + 8L * random.nextInt(512)), AccessKind.READ, false, 8, 0));
      }
    }
    return new Workload(WorkloadKind.SWITCH, mode, world.machine(), ops);
  }

  /**
   * Mixed: {@value #MIXED_SPACES} address spaces of {@value #MIXED_PAGES} pages each, every one
   * with a kernel window onto its l1 table, and {@code count} operations drawn from the seed: of
   * the choices, one in eight a CR3 load, one in four a MOV store rewriting a random PTE of the
   * current space (to one of its frames, writable or not) followed by INVLPG of its page, the rest
   * user reads and writes of its pages (a write to a page made read-only is the guest's own
   * fault).
   */
  public static Workload mixed(PagingMode mode, int count, long seed) {
    Random random = new Random(seed);
    World world = new World(1, MIXED_SPACES * (MIXED_PAGES + 8) + 16, SHADOW_FRAMES);
    long[] roots = new long[MIXED_SPACES];
    long[][] frames = new long[MIXED_SPACES][];
    for (int space = 0; space < MIXED_SPACES; space++) {
      PageTableBuilder tables = world.pageTables(mode);
      frames[space] = dataFrames(world, MIXED_PAGES, random);
      for (int page = 0; page < MIXED_PAGES; page++) {
        tables.map(Addr.gva(REGION + page * Addr.PAGE_SIZE), Addr.gpaOf(Addr.gfn(frames[space][page]), 0), 1, USER_PAGE, DIRECTORY);
      }
      long l1 = tables.entryAddressFor(Addr.gva(REGION), 1) & ~Addr.OFFSET_MASK;
      tables.map(Addr.gva(WINDOWS), Addr.gpa(l1), 1, KERNEL_PAGE, DIRECTORY);
      roots[space] = tables.root();
    }
    startPaging(world, mode, roots[0]);
    List<GuestOp> ops = new ArrayList<>();
    int current = 0;
    while (ops.size() < count) {
      int choice = random.nextInt(8);
      int page = random.nextInt(MIXED_PAGES);
      if (choice == 0) {
        current = (current + 1 + random.nextInt(MIXED_SPACES - 1)) % MIXED_SPACES;
        ops.add(new GuestOp.LoadCr3(0, roots[current]));
      } else if (choice <= 2 && ops.size() + 2 <= count) {
        long frame = frames[current][random.nextInt(MIXED_PAGES)];
        long flags = random.nextBoolean() ? USER_PAGE : USER_PAGE & ~EntryBits.RW;
        ops.add(store(mode, WINDOWS + (long) page * mode.entryBytes(), Addr.gpaOf(Addr.gfn(frame), 0) | flags));
        ops.add(new GuestOp.Invlpg(0, Addr.gva(REGION + page * Addr.PAGE_SIZE)));
      } else {
        long va = REGION + page * Addr.PAGE_SIZE + 8L * random.nextInt(512);
        AccessKind kind = random.nextBoolean() ? AccessKind.READ : AccessKind.WRITE;
        ops.add(new GuestOp.MemoryAccess(0, Addr.gva(va), kind, true, 8, random.nextLong()));
      }
    }
    return new Workload(WorkloadKind.MIXED, mode, world.machine(), ops);
  }

  /**
   * A kernel MOV storing {@code value} at {@code va}: {@code mov [rdi], rax} in 4-level mode; in
   * 32-bit modes {@code mov [edi], eax}, which for a PAE entry writes its low half (frames here
   * are below 4 GiB and NX is clear, so the high half stays zero).
   */
  static GuestOp store(PagingMode mode, long va, long value) {
    long[] gprs = new long[16];
    gprs[CpuState.RDI] = va;
    gprs[CpuState.RAX] = value;
    byte[] code = mode == PagingMode.FOUR_LEVEL ? new byte[] {0x48, (byte) 0x89, 0x07} : new byte[] {(byte) 0x89, 0x07};
    return new GuestOp.Execute(0, code, false, gprs);
  }

  /** Paging on with {@code root}, CR0.WP set: as {@link World#startPaging}, from a root alone. */
  private static void startPaging(World world, PagingMode mode, long root) {
    ControlRegisters regs = ControlRegisters.forMode(mode, root);
    world.setRegs(regs.withCr0(regs.cr0() | ControlRegisters.CR0_WP));
  }

  /** {@code count} fresh guest frames for data, in a seeded order. */
  private static long[] dataFrames(World world, int count, Random random) {
    long[] frames = new long[count];
    for (int i = 0; i < count; i++) {
      frames[i] = world.allocateFrame();
    }
    for (int i = count - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      long swap = frames[i];
      frames[i] = frames[j];
      frames[j] = swap;
    }
    return frames;
  }

  /** A seeded order of all spaces that does not start with {@code previous}. */
  private static int[] visitOrder(int spaces, int previous, Random random) {
    int[] order = new int[spaces];
    for (int i = 0; i < spaces; i++) {
      order[i] = i;
    }
    for (int i = spaces - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int swap = order[i];
      order[i] = order[j];
      order[j] = swap;
    }
    if (order[0] == previous) {
      order[0] = order[spaces - 1];
      order[spaces - 1] = previous;
    }
    return order;
  }
}
