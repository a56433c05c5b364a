package org.shadowref.check.gen;

import java.io.ByteArrayOutputStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Random;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.quicktheories.core.Gen;
import org.quicktheories.impl.Constraint;
import org.shadowref.arch.Access;
import org.shadowref.arch.AccessKind;
import org.shadowref.arch.Addr;
import org.shadowref.arch.ControlRegisters;
import org.shadowref.arch.EntryBits;
import org.shadowref.arch.PagingMode;
import org.shadowref.arch.qual.Gfn;
import org.shadowref.arch.qual.Mfn;
import org.shadowref.check.trace.GuestSnapshot;
import org.shadowref.emulate.CpuState;
import org.shadowref.emulate.SdmExecutor;
import org.shadowref.memory.P2m;
import org.shadowref.memory.P2mType;
import org.shadowref.mmu.GuestTables;
import org.shadowref.mmu.WalkResult;
import org.shadowref.mmu.Walker;
import org.shadowref.shadow.GuestMachine;
import org.shadowref.shadow.GuestOp;
import org.shadowref.shadow.NativePlatform;

/**
 * Generated guests and operation sequences for differential testing, as a swarm: each guest
 * first draws its {@link Swarm} of features and weights, {@link GuestLayout} builds its memory
 * from them, and operations are drawn with the guest's own weights.
 *
 * <p>The generator keeps a native machine of its own running the operations it hands out, so an
 * operation can depend on the guest's state as it is at that point: a CMPXCHG compares with the
 * entry's current value half the time (and succeeds), a store changes only the A/D bits, only the
 * frame, only P, RW or NX of the entry that is there now, the bytes a partial store writes are
 * the bytes of the new entry at that offset, and a write is followed by an access to the same
 * page. Stores reach page tables through windows the vCPU maps (a vCPU with paging off: at the
 * tables' guest-physical addresses) at every entry-index class and every byte offset, as plain
 * MOVs of 1, 2, 4 and 8 bytes and as every instruction form the emulator knows (XCHG,
 * CMPXCHG/8B/16B, LOCK OR/AND/XOR/ADD, BTS/BTR/BTC, MOVNTI, REP STOS), straddling two entries and
 * (instructions) two frames.
 *
 * <p>Everything is drawn from a {@link Random}, so the CLI runs the same generator from a seed
 * outside JUnit; {@link #cases} wraps it as a QuickTheories {@link Gen}.
 */
public final class Guests {
  private final Random random;
  private final Swarm swarm;
  private final GuestLayout layout;
  private final PagingMode mode;
  /** The generator's own native machine, one operation ahead of nobody: it has run every operation handed out. */
  private final NativePlatform model;
  /** Whether the operations drawn so far leave log-dirty mode on. */
  private boolean logging;
  private final GuestTables modelTables;
  private final WalkResult walk = new WalkResult();
  private final Deque<GuestOp> pending = new ArrayDeque<>();
  private final GeneratedCase start;

  private Guests(Random random, @Nullable PagingMode forced) {
    this.random = random;
    swarm = new Swarm(random, forced);
    layout = new GuestLayout(random, swarm);
    mode = swarm.mode;
    start = new GeneratedCase(GuestSnapshot.of(layout.world.machine()), List.of());
    model = new NativePlatform(start.world().build(), new SdmExecutor());
    modelTables = new GuestTables(model.guest().physical());
    if (swarm.quiet) {
      fillOutOfSyncSlots();
    }
  }

  /**
   * A quiet guest begins by making several l1 tables shadowed and then writing each twice
   * through its window: an engine that lets tables go out of sync after two emulated writes
   * takes more tables out of sync than it has slots, and must bring one back to make room.
   */
  private void fillOutOfSyncSlots() {
    List<Long> touches = new ArrayList<>();
    List<Long> windows = new ArrayList<>();
    for (long window : layout.windows) {
      long table = translate(0, window);
      if (table < 0 || !regs(0).pagingEnabled()) {
        continue;
      }
      long va = mappedThrough(0, table);
      if (va != -1) {
        touches.add(va);
        windows.add(window & ~0xFFFL);
      }
    }
    for (long va : touches) {
      pending.add(new GuestOp.MemoryAccess(0, Addr.gva(va), AccessKind.READ, false, 1, 0));
    }
    int entryBytes = entryBytes(0);
    for (int round = 0; round < 2; round++) {
      for (long window : windows) {
        long entry = window + (long) entryBytes * random.nextInt((int) Addr.PAGE_SIZE / entryBytes);
        long current = word(readBytes(0, entry, entryBytes), 0, entryBytes);
        pending.add(new GuestOp.MemoryAccess(0, Addr.gva(entry), AccessKind.WRITE, false, entryBytes,
            newEntry(current, entryBytes)));
      }
    }
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
      list.add(guest.next());
    }
    return guest.start.withOps(list);
  }

  /** An endless source of operations on one generated guest (for long campaigns). */
  public static final class Stream {
    private final Guests guest;
    /** The guest, with no operations yet. */
    public final GeneratedCase start;

    public Stream(Random random, @Nullable PagingMode mode) {
      guest = new Guests(random, mode);
      start = guest.start;
    }

    /** The next operation (it may depend on the state the earlier ones left). */
    public GuestOp next() {
      return guest.next();
    }
  }

  private GuestOp next() {
    GuestOp queued = pending.poll();
    GuestOp op = queued != null ? queued : draw();
    model.apply(op);
    return op;
  }

  private GuestMachine guest() {
    return model.guest();
  }

  private ControlRegisters regs(int vcpu) {
    return guest().vcpu(vcpu).regs();
  }

  private GuestOp draw() {
    int vcpu = random.nextInt(4) == 0 ? 1 : 0;
    boolean user = random.nextDouble() < swarm.user;
    ControlRegisters now = regs(vcpu);
    switch (swarm.opKind(random)) {
      case Swarm.TABLE_STORE:
        return tableStore(vcpu, user && random.nextInt(3) == 0);
      case Swarm.TABLE_INSTRUCTION:
        return instruction(vcpu, user && random.nextInt(3) == 0 && !swarm.crossFormat);
      case Swarm.LOAD_CR3: {
        List<Long> roots = layout.rootsFor(random.nextInt(5) == 0 ? null : now.pagingMode());
        long cr3 = random.nextInt(4) == 0 ? now.cr3() : roots.get(random.nextInt(roots.size()));
        return new GuestOp.LoadCr3(vcpu, cr3);
      }
      case Swarm.CONTROL_BIT: {
        long[] bits = {ControlRegisters.CR0_WP, ControlRegisters.CR4_SMEP, ControlRegisters.CR4_SMAP,
            ControlRegisters.EFER_NXE, ControlRegisters.RFLAGS_AC, ControlRegisters.CR4_PSE};
        int[] registers = {0, 4, 4, 8, 9, 4};
        int which = random.nextInt(bits.length);
        ControlRegisters next = now.with(registers[which], bits[which], random.nextBoolean());
        return control(vcpu, next);
      }
      case Swarm.PAGING_TOGGLE: {
        PagingMode current = now.pagingMode();
        ControlRegisters on = ControlRegisters.forMode(current == null ? lastMode() : current, now.cr3());
        ControlRegisters target = now.pagingEnabled() ? ControlRegisters.pagingOff().withCr3(now.cr3()) : on;
        return control(vcpu, keepOptional(target, now));
      }
      case Swarm.MODE_SWITCH:
        return modeSwitch(vcpu, now);
      case Swarm.INVLPG:
        return new GuestOp.Invlpg(vcpu, Addr.gva(anyPage() + (random.nextBoolean() ? 0 : random.nextInt(4096))));
      case Swarm.FLUSH:
        return new GuestOp.FlushTlb(vcpu);
      case Swarm.P2M_CHANGE:
        return p2mChange(vcpu);
      case Swarm.LOG_DIRTY:
        return logDirty(vcpu);
      case Swarm.PHYSICAL_ALIAS:
        // Guest-physical addresses used as linear ones: what a vCPU with paging off touches.
        return access(vcpu, (layout.target() << 12) & 0xFFFF_F000L, user);
      default:
        return access(vcpu, anyPage(), user);
    }
  }

  /**
   * A P2M change on a frame the guest uses (data of any type, or a page table): back to its first
   * entry half the time, else a migration to a free machine frame (copying the page), a share of
   * another frame's page, read-only RAM, a device, or ballooned out. Now and then the accesses that
   * follow touch the frame again, through whatever maps it.
   */
  private GuestOp p2mChange(int vcpu) {
    List<Long> frames = random.nextBoolean() ? layout.targets : layout.tableFrames;
    long gfn = frames.get(random.nextInt(frames.size()));
    P2m p2m = guest().p2m();
    if (gfn >= p2m.gfnCount()) {
      return access(vcpu, anyPage(), false); // a wide frame is held sparsely, where the hypervisor changes nothing
    }
    @Gfn long frame = Addr.gfn(gfn);
    P2m first = layout.world.machine().p2m();
    if (random.nextBoolean() && (first.type(frame) != p2m.type(frame) || first.mfn(frame) != p2m.mfn(frame))) {
      return new GuestOp.SetP2m(vcpu, frame, first.type(frame), first.mfn(frame), false);
    }
    @Mfn long mfn = p2m.mfn(frame);
    switch (random.nextInt(5)) {
      case 0: {
        @Mfn long free = freeMachineFrame();
        if (free >= 0) {
          boolean copy = p2m.type(frame).isRam();
          return new GuestOp.SetP2m(vcpu, frame, random.nextInt(4) == 0 ? P2mType.RAM_RO : P2mType.RAM, free, copy);
        }
        return new GuestOp.SetP2m(vcpu, frame, P2mType.ABSENT, Addr.mfn(P2m.INVALID_MFN), false);
      }
      case 1: {
        long other = layout.targets.get(random.nextInt(layout.targets.size()));
        boolean shareable = other < p2m.gfnCount() && p2m.type(Addr.gfn(other)).isRam();
        return shareable
            ? new GuestOp.SetP2m(vcpu, frame, P2mType.RAM_RO, p2m.mfn(Addr.gfn(other)), false)
            : new GuestOp.SetP2m(vcpu, frame, P2mType.MMIO, Addr.mfn(P2m.INVALID_MFN), false);
      }
      case 2:
        return p2m.type(frame).isRam()
            ? new GuestOp.SetP2m(vcpu, frame, p2m.type(frame) == P2mType.RAM ? P2mType.RAM_RO : P2mType.RAM, mfn, false)
            : new GuestOp.SetP2m(vcpu, frame, P2mType.ABSENT, Addr.mfn(P2m.INVALID_MFN), false);
      case 3:
        return new GuestOp.SetP2m(vcpu, frame, P2mType.MMIO, Addr.mfn(P2m.INVALID_MFN), false);
      default:
        return new GuestOp.SetP2m(vcpu, frame, P2mType.ABSENT, Addr.mfn(P2m.INVALID_MFN), false);
    }
  }

  /**
   * A live migration's round: log-dirty mode switched on when it is off, else mostly cleaned
   * (several rounds in a row), now and then switched off. The log is the hypervisor's, so the
   * generator's native model cannot tell whether it is on: this generator keeps track.
   */
  private GuestOp logDirty(int vcpu) {
    GuestOp.LogDirty.Action action = !logging ? GuestOp.LogDirty.Action.ON
        : random.nextInt(3) == 0 ? GuestOp.LogDirty.Action.OFF : GuestOp.LogDirty.Action.CLEAN;
    logging = action != GuestOp.LogDirty.Action.OFF;
    return new GuestOp.LogDirty(vcpu, action);
  }

  /** A machine frame of the guest's side that backs no guest frame now, or -1. */
  private @Mfn long freeMachineFrame() {
    GuestMachine guest = guest();
    int start = random.nextInt(guest.guestFrameLimit());
    for (int i = 0; i < guest.guestFrameLimit(); i++) {
      @Mfn long mfn = Addr.mfn((start + i) % guest.guestFrameLimit());
      if (guest.p2m().gfnOfMfn(mfn) < 0) {
        return mfn;
      }
    }
    return Addr.mfn(-1);
  }

  /** The mode a vCPU with paging off turns paging back on in: the main mode, or now and then the second. */
  private PagingMode lastMode() {
    PagingMode second = swarm.secondMode;
    return second != null && random.nextInt(3) == 0 ? second : mode;
  }

  private long anyPage() {
    List<Long> from = random.nextInt(4) == 0 ? layout.windows : layout.vas;
    return from.get(random.nextInt(from.size()));
  }

  /** {@code target}'s paging bits with {@code now}'s optional ones (WP, PSE, SMEP, SMAP, NXE, AC). */
  private static ControlRegisters keepOptional(ControlRegisters target, ControlRegisters now) {
    long cr4Bits = ControlRegisters.CR4_PSE | ControlRegisters.CR4_SMEP | ControlRegisters.CR4_SMAP;
    return new ControlRegisters(target.cr0() | (now.cr0() & ControlRegisters.CR0_WP), now.cr3(),
        target.cr4() | (now.cr4() & cr4Bits), target.efer() | (now.efer() & ControlRegisters.EFER_NXE), now.rflags());
  }

  private GuestOp control(int vcpu, ControlRegisters r) {
    return new GuestOp.SetControl(vcpu, r.cr0(), r.cr4(), r.efer(), r.rflags());
  }

  /**
   * Moves a vCPU to another paging mode: through paging off and a CR3 load as a kernel does, or
   * (now and then) by loading the new root first, so for one step the old mode walks it.
   */
  private GuestOp modeSwitch(int vcpu, ControlRegisters now) {
    PagingMode current = now.pagingMode();
    PagingMode second = swarm.secondMode;
    PagingMode target = second != null && current == mode ? second : current == mode || second == null
        ? PagingMode.values()[random.nextInt(3)] : mode;
    List<Long> roots = layout.rootsFor(target);
    long cr3 = roots.get(random.nextInt(roots.size()));
    ControlRegisters on = keepOptional(ControlRegisters.forMode(target, cr3), now).withCr3(cr3);
    if (random.nextBoolean()) {
      pending.add(new GuestOp.LoadCr3(vcpu, cr3));
      pending.add(control(vcpu, on));
      return control(vcpu, keepOptional(ControlRegisters.pagingOff(), now));
    }
    pending.add(control(vcpu, on));
    return new GuestOp.LoadCr3(vcpu, cr3);
  }

  /** A load, store or fetch on {@code page}: at the first bytes, the last bytes, or anywhere; often followed by another access to the page. */
  private GuestOp access(int vcpu, long page, boolean user) {
    int size = 1 << random.nextInt(4);
    long offset;
    switch (random.nextInt(5)) {
      case 0:
        offset = 0;
        break;
      case 1:
        offset = Addr.PAGE_SIZE - size;
        break;
      case 2:
        offset = random.nextInt((int) Addr.PAGE_SIZE - size + 1);
        break;
      default:
        offset = (long) size * random.nextInt((int) Addr.PAGE_SIZE / size);
        break;
    }
    AccessKind kind = AccessKind.values()[random.nextInt(AccessKind.values().length)];
    long va = (page & ~0xFFFL) + offset;
    GuestOp.MemoryAccess op = new GuestOp.MemoryAccess(vcpu, Addr.gva(va), kind, user, size, random.nextLong());
    if (kind == AccessKind.WRITE && random.nextBoolean()) {
      // A write followed by any access to the same page (a dirty-bit, write-protection or alias check).
      int again = random.nextInt(4) == 0 ? 1 - vcpu : vcpu;
      pending.add(new GuestOp.MemoryAccess(again, Addr.gva(va & ~0x7L), AccessKind.values()[random.nextInt(3)],
          random.nextBoolean(), 1 << random.nextInt(4), random.nextLong()));
    }
    return op;
  }

  // ---- stores into page tables

  /** Where a store into a table goes: a window page, an entry index class, the entry's address. */
  private long entryAddress(int vcpu, int entryBytes) {
    long window = windowFor(vcpu, entryBytes);
    int entries = (int) Addr.PAGE_SIZE / entryBytes;
    int index = layout.indexClass(entries, PagingMode.TWO_LEVEL, 1);
    if (entryBytes == 8 && random.nextInt(8) == 0) {
      index = random.nextInt(4); // a PAE PDPT's four entries
    }
    return window + (long) index * entryBytes;
  }

  /**
   * The page a store into a table goes through. A vCPU with paging off writes a table at its
   * guest-physical address, as a kernel builds its tables before it turns paging on (the other
   * vCPU may be walking them meanwhile). A long-mode store aimed at 4-byte entries looks for them:
   * only a cross-format guest's 2-level tables, mapped in its 4-level space, give a 64-bit store a
   * 4-byte entry to land on. Else a window the vCPU's space maps (the others' windows fault before
   * any store), or any window when it maps none.
   */
  private long windowFor(int vcpu, int entryBytes) {
    ControlRegisters regs = regs(vcpu);
    List<Long> frames = layout.tableFrames;
    if (!regs.pagingEnabled() && !frames.isEmpty()) {
      return frames.get(random.nextInt(frames.size())) << Addr.PAGE_SHIFT;
    }
    long window = swarm.crossFormat && entryBytes == 4 && regs.pagingMode() == PagingMode.FOUR_LEVEL ? window(vcpu, true) : -1;
    if (window == -1) {
      window = window(vcpu, false);
    }
    return window != -1 ? window : layout.windows.get(random.nextInt(layout.windows.size())) & ~0xFFFL;
  }

  /**
   * A window {@code vcpu} can reach now, drawn evenly among them (and, with {@code secondMode},
   * among those on a table only the second mode's roots reach); -1 if there is none.
   */
  private long window(int vcpu, boolean secondMode) {
    List<Long> reachable = new ArrayList<>();
    for (long page : layout.windows) {
      long window = page & ~0xFFFL;
      long table = translate(vcpu, window);
      if (table >= 0 && (!secondMode || layout.secondModeTable(table >>> Addr.PAGE_SHIFT))) {
        reachable.add(window);
      }
    }
    return reachable.isEmpty() ? -1 : reachable.get(random.nextInt(reachable.size()));
  }

  private int entryBytes(int vcpu) {
    PagingMode current = regs(vcpu).pagingMode();
    return (current == null ? mode : current).entryBytes();
  }

  /** The guest-physical address {@code va} translates to for {@code vcpu} now (no A/D set), or -1. */
  private long translate(int vcpu, long va) {
    if (!regs(vcpu).pagingEnabled()) {
      return va & 0xFFFF_FFFFL;
    }
    WalkResult now = walkNow(vcpu, va);
    return now.ok() ? now.translated() : -1;
  }

  /** {@code vcpu}'s read walk of {@code va} now, setting no A/D bit (paging on), into {@link #walk}. */
  private WalkResult walkNow(int vcpu, long va) {
    Walker.walk(modelTables, regs(vcpu), guest().cpu(), Addr.gva(va), Access.of(AccessKind.READ, false), false, walk);
    return walk;
  }

  /** {@code count} bytes at {@code va} as {@code vcpu} sees them now, little-endian; unreadable bytes read as zero. */
  private byte[] readBytes(int vcpu, long va, int count) {
    byte[] bytes = new byte[count];
    for (int i = 0; i < count; i++) {
      long gpa = translate(vcpu, va + i);
      bytes[i] = gpa < 0 ? 0 : (byte) guest().physical().read(Addr.gpa(gpa), 1);
    }
    return bytes;
  }

  private static long word(byte[] bytes, int from, int size) {
    long value = 0;
    for (int i = size - 1; i >= 0; i--) {
      value = (value << 8) | (bytes[from + i] & 0xFF);
    }
    return value;
  }

  private static void put(byte[] bytes, int from, int size, long value) {
    for (int i = 0; i < size; i++) {
      bytes[from + i] = (byte) (value >>> (8 * i));
    }
  }

  /**
   * A new value for an entry that holds {@code current}: one change a guest makes (only A/D, only
   * the frame, only P, RW, US or NX, a reserved or ignored bit, PS/PAT/G/PWT/PCD/AVL), a fresh
   * entry, or zero.
   */
  private long newEntry(long current, int entryBytes) {
    long mask = entryBytes == 8 ? -1L : 0xFFFF_FFFFL;
    long frameMask = entryBytes == 8 ? EntryBits.ADDR_MASK_64 : EntryBits.ADDR_MASK_32;
    long next;
    switch (random.nextInt(12)) {
      case 0:
        next = current ^ ((random.nextInt(3) + 1L) << 5); // A, D or both
        break;
      case 1:
        next = (current & ~frameMask) | ((layout.target() << 12) & frameMask);
        break;
      case 2:
        next = current ^ EntryBits.P;
        break;
      case 3:
        next = current ^ EntryBits.RW;
        break;
      case 4:
        next = current ^ (entryBytes == 8 ? EntryBits.NX : EntryBits.US);
        break;
      case 5:
        next = current ^ EntryBits.US;
        break;
      case 6: {
        long[] bits = {EntryBits.PS, EntryBits.G, EntryBits.PWT, EntryBits.PCD, 1L << 9, 1L << 10, 1L << 11,
            EntryBits.PAT_LARGE};
        next = current ^ bits[random.nextInt(bits.length)];
        break;
      }
      case 7: {
        PagingMode current32 = entryBytes == 8 ? (random.nextBoolean() ? PagingMode.PAE : PagingMode.FOUR_LEVEL) : PagingMode.TWO_LEVEL;
        next = current | layout.reservedBit(current32, 1 + random.nextInt(current32.levels()));
        break;
      }
      case 8:
        next = 0;
        break;
      case 9:
        // Promote a frame to a table: a directory-like entry pointing at data or at a table.
        next = (layout.target() << 12) | EntryBits.P | EntryBits.RW | EntryBits.US | (random.nextBoolean() ? EntryBits.A : 0);
        break;
      default:
        next = ((layout.target() << 12) & frameMask) | (swarm.flags(random, entryBytes == 8) & ~frameMask);
        break;
    }
    return next & mask;
  }

  /** A plain store (MOV of 1, 2, 4 or 8 bytes) of part or all of a new entry, at any byte offset of the entry. */
  private GuestOp tableStore(int vcpu, boolean user) {
    int entryBytes = entryBytes(vcpu);
    long entry = entryAddress(vcpu, entryBytes);
    if (random.nextInt(8) == 0 && Addr.pageOffset(entry) + 2L * entryBytes <= Addr.PAGE_SIZE) {
      return teardown(vcpu, entry, entryBytes);
    }
    byte[] image = image(vcpu, entry, entryBytes);
    int size;
    int offset;
    if (random.nextInt(3) == 0) {
      size = entryBytes;
      offset = 0;
    } else {
      size = 1 << random.nextInt(4);
      offset = random.nextInt(8);
    }
    long va = entry + offset;
    if (Addr.pageOffset(va) + size > Addr.PAGE_SIZE) {
      va = (va & ~0xFFFL) + Addr.PAGE_SIZE - size;
      offset = (int) (va - entry);
    }
    if (offset >= 0 && offset + size > entryBytes && offset + size <= image.length) {
      // A store that straddles into the next entry changes it too: else only the first entry could
      // show whether both were revalidated.
      put(image, entryBytes, entryBytes, newEntry(word(image, entryBytes, entryBytes), entryBytes));
    }
    long value = offset >= 0 && offset + size <= image.length ? word(image, offset, size) : random.nextLong();
    GuestOp.MemoryAccess store = new GuestOp.MemoryAccess(vcpu, Addr.gva(va), AccessKind.WRITE, user, size, value);
    if (random.nextInt(8) == 0 && !user && regs(vcpu).pagingEnabled()) {
      // The same store in another address space, as a kernel writes per-process tables through one
      // fixed window: a CR3 switch, a read that maps the window there, the store. Where the last
      // emulated store landed must not be carried across the switch.
      List<Long> roots = layout.rootsFor(regs(vcpu).pagingMode());
      long other = roots.get(random.nextInt(roots.size()));
      pending.addFirst(store);
      pending.addFirst(new GuestOp.MemoryAccess(vcpu, Addr.gva(va & ~0x7L), AccessKind.READ, false, 8, 0));
      pending.addFirst(new GuestOp.LoadCr3(vcpu, other));
      return store;
    }
    if (random.nextBoolean()) {
      List<GuestOp> uses = useEntries(vcpu, va, size, entryBytes);
      if (!uses.isEmpty()) {
        // Use first, so every covered entry has a live shadow the store must revalidate; use again after.
        return usedAround(store, uses);
      }
    }
    if (vcpu == 1 && !user && guest().vcpuCount() > 1) {
      // vCPU 0 reads a page the entry maps while vCPU 1's store lands in its handler's window
      // (between its guest walk and the install). Drawn from nothing new, so every case the
      // generators made before keeps its operations up to here.
      long page = firstPageMapped(vcpu, va);
      if (page != -1) {
        return new GuestOp.Raced(new GuestOp.MemoryAccess(0, Addr.gva(page), AccessKind.READ, false, 8, 0), store);
      }
    }
    return store;
  }

  /**
   * A kernel tearing down two neighbouring entries, as a process exit does: both used first (so
   * each has a live shadow), both cleared, both used again. Two clearing stores in a row to one
   * table are what an engine's early unshadow takes for a teardown.
   */
  private GuestOp teardown(int vcpu, long entry, int entryBytes) {
    List<GuestOp> sequence = new ArrayList<>();
    List<GuestOp> uses = new ArrayList<>(useEntries(vcpu, entry, entryBytes, entryBytes));
    uses.addAll(useEntries(vcpu, entry + entryBytes, entryBytes, entryBytes));
    sequence.addAll(uses);
    sequence.add(new GuestOp.MemoryAccess(vcpu, Addr.gva(entry), AccessKind.WRITE, false, entryBytes, 0));
    sequence.add(new GuestOp.MemoryAccess(vcpu, Addr.gva(entry + entryBytes), AccessKind.WRITE, false, entryBytes, 0));
    sequence.addAll(uses);
    for (int i = sequence.size() - 1; i >= 1; i--) {
      pending.addFirst(sequence.get(i));
    }
    return sequence.get(0);
  }

  /** A known page inside a large page {@code vcpu} maps now (whose leaf has A clear, when {@code unaccessed}), or -1. */
  private long largePage(int vcpu, boolean unaccessed) {
    List<Long> pages = layout.largeVas;
    if (pages.isEmpty() || !regs(vcpu).pagingEnabled()) {
      return -1;
    }
    int start = random.nextInt(pages.size());
    for (int i = 0; i < pages.size(); i++) {
      long va = pages.get((start + i) % pages.size());
      WalkResult now = walkNow(vcpu, va);
      if (now.ok() && now.leafLevel() > 1 && (!unaccessed || (now.entry(now.leafLevel()) & EntryBits.A) == 0)) {
        return va;
      }
    }
    return -1;
  }

  /**
   * A known virtual address {@code vcpu} maps through the l1 table at guest-physical {@code
   * table}, or -1 (never a page address; kernel addresses are negative longs).
   */
  private long mappedThrough(int vcpu, long table) {
    for (long va : layout.vas) {
      WalkResult now = walkNow(vcpu, va);
      if (now.ok() && now.leafLevel() == 1 && (now.entryAddress(1) >>> 12) == (table >>> 12)) {
        return va;
      }
    }
    return -1;
  }

  /**
   * Accesses through every entry a store of {@code size} bytes at {@code va} (a window on a
   * table) covers, when the table is an l1 table of the vCPU's space; none otherwise. A store
   * that changes two live entries must have both revalidated.
   */
  /** The first page the entry stored at {@code va} maps, as {@link #useEntries} finds it, or -1; draws nothing. */
  private long firstPageMapped(int vcpu, long va) {
    long table = translate(vcpu, va);
    if (table < 0 || !regs(vcpu).pagingEnabled()) {
      return -1;
    }
    long mapped = mappedThrough(vcpu, table);
    if (mapped == -1) {
      return -1;
    }
    int entryBytes = entryBytes(vcpu);
    long region = mapped & ~(((Addr.PAGE_SIZE / entryBytes) << Addr.PAGE_SHIFT) - 1);
    return region + ((Addr.pageOffset(table) / entryBytes) << Addr.PAGE_SHIFT);
  }

  private List<GuestOp> useEntries(int vcpu, long va, int size, int entryBytes) {
    List<GuestOp> uses = new ArrayList<>();
    long table = translate(vcpu, va);
    if (table < 0 || !regs(vcpu).pagingEnabled()) {
      return uses;
    }
    long mapped = mappedThrough(vcpu, table);
    if (mapped == -1) {
      return uses;
    }
    long region = mapped & ~(((Addr.PAGE_SIZE / entryBytes) << Addr.PAGE_SHIFT) - 1); // what the whole l1 maps
    long first = Addr.pageOffset(table) / entryBytes;
    long last = Math.min(Addr.PAGE_SIZE - 1, Addr.pageOffset(table) + size - 1) / entryBytes;
    for (long index = first; index <= last; index++) {
      uses.add(new GuestOp.MemoryAccess(vcpu, Addr.gva(region + (index << Addr.PAGE_SHIFT)),
          AccessKind.values()[random.nextInt(3)], false, 1, random.nextLong() & 0xFF));
    }
    return uses;
  }

  /**
   * The 16 bytes from {@code entry} with the entry replaced by a new value (and now and then the
   * next entry too): the memory a store of part of it writes from.
   */
  private byte[] image(int vcpu, long entry, int entryBytes) {
    byte[] bytes = readBytes(vcpu, entry, 16);
    put(bytes, 0, entryBytes, newEntry(word(bytes, 0, entryBytes), entryBytes));
    if (random.nextInt(4) == 0) {
      put(bytes, entryBytes, entryBytes, newEntry(word(bytes, entryBytes, entryBytes), entryBytes));
    }
    return bytes;
  }

  /**
   * A block of instructions writing an entry as two 32-bit halves, as a PAE kernel writes its
   * 64-bit entries (Linux's {@code set_pte}: high half, then low), in one of four shapes: high then
   * low; low then high; low, a pointer step, then high; or low, then a store to another page (which
   * may fault, or be another table's). On 4-byte entries the halves are two neighbours.
   */
  private GuestOp halves(int vcpu, boolean user) {
    boolean longMode = regs(vcpu).pagingMode() == PagingMode.FOUR_LEVEL;
    // Most windows are onto tables no walk of this vCPU reads (their stores do not trap): look a few
    // times for an entry of an l1 table of its space, which its accesses shadow.
    long entry = entryAddress(vcpu, 8) & ~7L;
    List<GuestOp> uses = useEntries(vcpu, entry, 8, entryBytes(vcpu));
    for (int tries = 0; uses.isEmpty() && tries < 4; tries++) {
      entry = entryAddress(vcpu, 8) & ~7L;
      uses = useEntries(vcpu, entry, 8, entryBytes(vcpu));
    }
    if (onOwnPath(vcpu, entry)) {
      // The entry maps the window it is written through (a recursive map): without an INVLPG, which
      // no block can hold, the second half may go through the old translation or the new one, as
      // a TLB keeps it or not, and the campaign's TLB oracle judges instructions strictly.
      return instruction(vcpu, user, false);
    }
    byte[] image = image(vcpu, entry, 8);
    long[] gprs = new long[GuestOp.Execute.GPRS];
    for (int i = 0; i < gprs.length; i++) {
      gprs[i] = random.nextInt(4) == 0 ? 0 : random.nextLong();
    }
    gprs[CpuState.RDI] = longMode ? entry : entry & 0xFFFF_FFFFL;
    gprs[CpuState.RAX] = word(image, 0, 4);
    gprs[CpuState.RDX] = word(image, 4, 4);
    ByteArrayOutputStream code = new ByteArrayOutputStream();
    byte[] low = {(byte) 0x89, 0x07}; // mov [rdi], eax
    byte[] high = {(byte) 0x89, 0x57, 0x04}; // mov [rdi+4], edx
    switch (random.nextInt(4)) {
      case 0:
        code.writeBytes(high);
        code.writeBytes(low);
        break;
      case 1:
        code.writeBytes(low);
        code.writeBytes(high);
        break;
      case 2:
        code.writeBytes(low);
        if (longMode) {
          code.write(0x48); // add rdi, 4: a 32-bit add would clear the pointer's upper half
        }
        code.writeBytes(new byte[] {(byte) 0x83, (byte) 0xC7, 0x04}); // add edi, 4
        code.writeBytes(new byte[] {(byte) 0x89, 0x17}); // mov [rdi], edx
        break;
      default:
        code.writeBytes(low);
        code.writeBytes(new byte[] {(byte) 0x89, 0x16}); // mov [rsi], edx
        long other = random.nextBoolean() ? entryAddress(vcpu, 4) : anyPage() + random.nextInt((int) Addr.PAGE_SIZE - 4);
        if (onOwnPath(vcpu, entry, other)) {
          other = entry; // the low half again, through the window that still maps the table
        }
        gprs[CpuState.RSI] = longMode ? other : other & 0xFFFF_FFFFL;
        break;
    }
    GuestOp block = new GuestOp.Execute(vcpu, code.toByteArray(), user, gprs);
    if (uses.isEmpty() || random.nextInt(4) == 0) {
      return block;
    }
    // Used first, so the table is shadowed and its halves trap; used again after, through the whole entry.
    return usedAround(block, uses);
  }

  /** {@code uses}, then {@code op}, then {@code uses} again: returns the first, queues the rest. */
  private GuestOp usedAround(GuestOp op, List<GuestOp> uses) {
    List<GuestOp> sequence = new ArrayList<>(uses);
    sequence.add(op);
    sequence.addAll(uses);
    for (int i = sequence.size() - 1; i >= 1; i--) {
      pending.addFirst(sequence.get(i));
    }
    return sequence.get(0);
  }

  /** Whether {@code vcpu}'s walk of the page holding {@code entry} reads that entry's 8 bytes. */
  private boolean onOwnPath(int vcpu, long entry) {
    return onOwnPath(vcpu, entry, entry);
  }

  /** Whether {@code vcpu}'s walk of the page holding {@code va} reads the 8 bytes at {@code entry}. */
  private boolean onOwnPath(int vcpu, long entry, long va) {
    long gpa = translate(vcpu, entry);
    if (gpa < 0 || !regs(vcpu).pagingEnabled()) {
      return false;
    }
    WalkResult walked = walkNow(vcpu, va);
    for (int level = 1; level <= 4; level++) {
      long read = walked.entryAddress(level);
      if (read >= 0 && read >>> 3 == gpa >>> 3 && read != 0) {
        return true;
      }
    }
    return false;
  }

  /** One instruction storing into a table through a window, in every form the emulator knows. */
  private GuestOp instruction(int vcpu, boolean user) {
    return instruction(vcpu, user, random.nextDouble() < swarm.halves);
  }

  /** {@link #instruction(int, boolean)}, or with {@code halves} a block writing an entry in two halves. */
  private GuestOp instruction(int vcpu, boolean user, boolean halves) {
    if (halves) {
      return halves(vcpu, user);
    }
    boolean longMode = regs(vcpu).pagingMode() == PagingMode.FOUR_LEVEL;
    int entryBytes = swarm.crossFormat && random.nextBoolean() ? 4 : entryBytes(vcpu);
    long entry = entryAddress(vcpu, entryBytes);
    byte[] image = image(vcpu, entry, entryBytes);
    long[] gprs = new long[GuestOp.Execute.GPRS];
    for (int i = 0; i < gprs.length; i++) {
      gprs[i] = random.nextInt(4) == 0 ? 0 : random.nextLong();
    }
    // 1, 2 or 4 bytes, or (64-bit) 8 half the time: 32-bit vCPUs store the narrower widths too, so
    // each width's cells come up about as often.
    int size = longMode && random.nextBoolean() ? 8 : 1 << random.nextInt(3);
    if (longMode && entryBytes == 4 && random.nextBoolean()) {
      size = 8; // wider than the entry: what only a long-mode vCPU on a 2-level table can store
    }
    // The byte offset in the entry: any; or one where the store reaches the entry's last byte or
    // straddles into the next entry (a byte store: any again); or one reaching the frame's end.
    int offset;
    switch (random.nextInt(3)) {
      case 0:
        offset = random.nextInt(entryBytes);
        break;
      case 1:
        offset = entryBytes - 1 - random.nextInt(size == 1 ? entryBytes : size);
        break;
      default:
        offset = (int) (Addr.PAGE_SIZE - Addr.pageOffset(entry)) - 1 - random.nextInt(size); // to the frame's end
        break;
    }
    long rdi = entry + offset;
    boolean data = random.nextInt(10) == 0;
    if (data) {
      // Data, often inside a large page (one the vCPU maps, so the operand's walk reaches the large
      // leaf), now and then one not accessed yet: the operand's own walk sets the leaf's A and D.
      long page = random.nextInt(3) == 0 ? largePage(vcpu, true) : random.nextBoolean() ? largePage(vcpu, false) : -1;
      rdi = (page != -1 ? page : anyPage()) + random.nextInt((int) Addr.PAGE_SIZE);
    }
    gprs[CpuState.RDI] = longMode ? rdi : rdi & 0xFFFF_FFFFL;
    boolean inImage = offset >= 0 && offset + 16 <= image.length + 8 && offset + size <= image.length;
    long value = inImage ? word(image, offset, size) : random.nextLong();
    long current = word(readBytes(vcpu, rdi, 16), 0, 8);
    ByteArrayOutputStream code = new ByteArrayOutputStream();
    int form = data && random.nextBoolean() ? 7 : random.nextInt(11); // on data, often BT: a walk that only reads
    switch (form) {
      case 0: // MOV r/m, reg
        prefixes(code, size, longMode, false);
        code.write(size == 1 ? 0x88 : 0x89);
        code.write(0x07);
        gprs[CpuState.RAX] = value;
        break;
      case 1: // MOV r/m, imm
        size = Math.max(size, 2);
        prefixes(code, size, longMode, false);
        code.write(0xC7);
        code.write(0x07);
        long imm = size == 8 ? (int) value : value;
        for (int i = 0; i < Math.min(size, 4); i++) {
          code.write((int) (imm >>> (8 * i)) & 0xFF);
        }
        break;
      case 2: // XCHG
        prefixes(code, size, longMode, random.nextInt(4) == 0);
        code.write(size == 1 ? 0x86 : 0x87);
        code.write(0x07);
        gprs[CpuState.RAX] = value;
        break;
      case 3: // CMPXCHG r/m, ebx: compares with the current value half the time
        prefixes(code, size, longMode, random.nextBoolean());
        code.write(0x0F);
        code.write(size == 1 ? 0xB0 : 0xB1);
        code.write(0x1F);
        gprs[CpuState.RAX] = random.nextBoolean() ? current : current ^ (1L << random.nextInt(size * 8));
        gprs[CpuState.RBX] = value;
        break;
      case 4: { // CMPXCHG8B / CMPXCHG16B
        boolean sixteen = longMode && random.nextBoolean();
        if (sixteen && random.nextInt(4) != 0) {
          rdi &= ~0xFL; // aligned, as CMPXCHG16B requires (unaligned: #GP)
          gprs[CpuState.RDI] = rdi;
        }
        byte[] now = readBytes(vcpu, rdi, 16);
        byte[] next = image.clone();
        if (random.nextBoolean()) {
          code.write(0xF0);
        }
        if (sixteen) {
          code.write(0x48);
        }
        code.write(0x0F);
        code.write(0xC7);
        code.write(0x0F);
        boolean succeed = random.nextBoolean();
        long low = word(now, 0, 8);
        long high = word(now, 8, 8);
        if (!sixteen) {
          gprs[CpuState.RAX] = low & 0xFFFF_FFFFL;
          gprs[CpuState.RDX] = low >>> 32;
          gprs[CpuState.RBX] = word(next, 0, 4);
          gprs[CpuState.RCX] = word(next, 4, 4);
        } else {
          gprs[CpuState.RAX] = low;
          gprs[CpuState.RDX] = high;
          gprs[CpuState.RBX] = word(next, 0, 8);
          gprs[CpuState.RCX] = word(next, 8, 8);
        }
        if (!succeed) {
          gprs[CpuState.RAX] ^= 1L << random.nextInt(32);
        }
        break;
      }
      case 5: { // LOCK OR / AND / XOR / ADD r/m, reg
        int[] opcodes = {0x09, 0x21, 0x31, 0x01};
        int op = random.nextInt(opcodes.length);
        prefixes(code, Math.max(size, 2), longMode, random.nextInt(4) != 0);
        code.write(size == 1 ? opcodes[op] - 1 : opcodes[op]);
        code.write(0x07);
        long bits = (random.nextInt(3) + 1L) << 5; // A, D or both
        if (random.nextBoolean()) {
          long[] choice = {EntryBits.P, EntryBits.RW, EntryBits.US, EntryBits.NX >>> (8 * Math.max(0, 8 - size)), 1L << 9};
          bits = choice[random.nextInt(choice.length)];
        }
        gprs[CpuState.RAX] = op == 1 ? ~bits : op == 3 ? random.nextInt(0x100) : bits;
        break;
      }
      case 6: { // BTS / BTR / BTC with an immediate bit
        int[] modrm = {0x2F, 0x37, 0x3F};
        prefixes(code, Math.max(size, 2), longMode, random.nextInt(3) != 0);
        code.write(0x0F);
        code.write(0xBA);
        code.write(modrm[random.nextInt(modrm.length)]);
        int[] bitsOfInterest = {0, 1, 2, 5, 6, 7, 8, 12, 31, 63};
        code.write(random.nextBoolean() ? bitsOfInterest[random.nextInt(bitsOfInterest.length)] : random.nextInt(256));
        break;
      }
      case 7: { // BT / BTS / BTR / BTC with a register bit offset (may reach the next entry, or before)
        int[] opcodes = {0xAB, 0xB3, 0xBB, 0xA3};
        prefixes(code, Math.max(size, 2), longMode, random.nextInt(3) != 0);
        code.write(0x0F);
        code.write(data && random.nextInt(4) != 0 ? 0xA3 : opcodes[random.nextInt(opcodes.length)]);
        code.write(0x07);
        gprs[CpuState.RAX] = random.nextBoolean() ? random.nextInt(64) : random.nextInt(256) - 128;
        break;
      }
      case 8: // MOVNTI
        prefixes(code, Math.max(size, 4), longMode, false);
        code.write(0x0F);
        code.write(0xC3);
        code.write(0x07);
        gprs[CpuState.RAX] = value;
        break;
      default: { // STOS, often REP: across an entry, a table, or a table's end into the next frame
        boolean rep = random.nextInt(4) != 0;
        if (rep) {
          code.write(0xF3);
        }
        prefixes(code, size, longMode, false);
        code.write(size == 1 ? 0xAA : 0xAB);
        long count;
        switch (random.nextInt(3)) {
          case 0:
            count = 1 + random.nextInt(2 * entryBytes / size + 1);
            break;
          case 1:
            count = (Addr.PAGE_SIZE - Addr.pageOffset(rdi)) / size + 1 + random.nextInt(4); // into the next page
            break;
          default:
            count = random.nextInt(64);
            break;
        }
        gprs[CpuState.RCX] = count;
        gprs[CpuState.RAX] = inImage ? word(image, 0, Math.min(size, image.length)) : value;
        break;
      }
    }
    return new GuestOp.Execute(vcpu, code.toByteArray(), user, gprs);
  }

  /** Operand-size prefixes for {@code size} (66 for 2, REX.W for 8), after an optional LOCK. */
  private static void prefixes(ByteArrayOutputStream code, int size, boolean longMode, boolean lock) {
    if (lock) {
      code.write(0xF0);
    }
    if (size == 2) {
      code.write(0x66);
    }
    if (size == 8 && longMode) {
      code.write(0x48);
    }
  }
}
