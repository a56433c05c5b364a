package org.shadowref.shadow.optimized;

import org.shadowref.arch.Addr;
import org.shadowref.mmu.PageTableMemory;
import org.shadowref.mmu.WalkResult;
import org.shadowref.shadow.GuestMachine;
import org.shadowref.shadow.core.Fault;
import org.shadowref.shadow.core.GuestSide;
import org.shadowref.shadow.core.SeededBug;

/**
 * The guest walk before the shadow lock, and its check under the lock: Xen's {@code sh_page_fault}
 * walks the guest's tables before it takes the paging lock, and KVM's shadow MMU walks them before
 * it takes {@code mmu_lock}; another vCPU may write those tables meanwhile. So the walk is made
 * with the lock free, remembering what it read and the engine's version number, and its A/D
 * updates are held back (they revalidate shadows, which needs the lock). Under the lock the
 * handler uses the walk only if it still holds: the version is unchanged (Xen's dirty version of
 * the guest's tables, KVM's {@code mmu_invalidate_seq}: bumped by every store the engine makes to
 * guest memory and by every P2M change, which alters what the same entries translate to) and every
 * entry it read still reads the same (KVM's re-read of the guest entries under the lock, which
 * also sees stores the engine never traps: to a table not shadowed yet, or one out of sync). Then
 * the held-back A/D updates are written; else the walk is dropped and the handler walks again
 * under the lock. The walk's outcome goes into the {@link Fault} being handled, so a fault that
 * another vCPU's own fault interrupts in the window keeps it (the engine keeps one per vCPU).
 *
 * <p>Switch: {@link OptimizedConfig#racedWalks}. The version is no engine state: only its
 * changes during one fault's handling matter, and a fault never spans two operations of the guest.
 */
final class RacedWalks {
  /** Entries one walk reads or writes at most (four levels; room for a PAE PDPTE and a self-map). */
  private static final int MAX_ENTRIES = 8;

  private final OptimizedConfig config;
  private final GuestMachine guest;
  private final GuestSide guestSide;
  private final Counters counters;
  /** The engine's version of the guest's tables and P2M: bumped by whatever may make a walk stale. */
  private long version;
  /** Per vCPU: its walk made before the lock, if it has one pending. */
  private final Recorded[] walks;

  RacedWalks(OptimizedConfig config, GuestMachine guest, GuestSide guestSide, Counters counters) {
    this.config = config;
    this.guest = guest;
    this.guestSide = guestSide;
    this.counters = counters;
    this.walks = new Recorded[guest.vcpuCount()];
    for (int v = 0; v < walks.length; v++) {
      walks[v] = new Recorded(guest);
    }
  }

  /** Guest memory or the P2M changed (through the engine): a walk made before now may be stale. */
  void bump() {
    version++;
  }

  /**
   * Before the lock: walks the guest's tables for {@code fault} into its target, recording what it
   * read and holding back its A/D updates. A reserved-bit fault the fast path may answer from a
   * magic entry is not walked ({@code answeredWithoutWalk}).
   */
  void walkBeforeLock(Fault fault, boolean answeredWithoutWalk) {
    Recorded walk = walks[fault.vcpu().id()];
    walk.pending = false;
    if (!config.racedWalks() || answeredWithoutWalk) {
      return;
    }
    walk.begin(version);
    guestSide.walk(fault.vcpu(), fault.va(), fault.access(), walk, walk.result, fault.target());
    walk.pending = true;
    counters.walksBeforeLock++;
  }

  /**
   * Under the lock: whether {@code fault}'s walk from before the lock still holds. If it does, its
   * A/D updates are written now, as the walk would have written them; if it went stale, nothing
   * of it is kept and the handler walks again.
   */
  boolean holds(Fault fault) {
    Recorded walk = walks[fault.vcpu().id()];
    if (!walk.pending) {
      return false;
    }
    walk.pending = false;
    if (!config.has(SeededBug.RACED_WALK_NOT_RECHECKED)
        && (walk.version != version || (!config.has(SeededBug.RACED_WALK_TRUSTS_VERSION) && walk.readsChanged()))) {
      counters.racedWalksRetried++;
      return false;
    }
    walk.writeBack(guestSide);
    return true;
  }

  /**
   * One walk made before the lock: the guest's tables as the walker sees them, with every entry
   * read remembered and every A/D update held back (and seen by the walk's own later reads).
   */
  private static final class Recorded implements PageTableMemory {
    private final GuestMachine guest;
    final WalkResult result = new WalkResult();
    boolean pending;
    long version;
    private final EntryLog reads = new EntryLog("read");
    private final EntryLog writes = new EntryLog("wrote");

    Recorded(GuestMachine guest) {
      this.guest = guest;
    }

    void begin(long currentVersion) {
      version = currentVersion;
      reads.count = 0;
      writes.count = 0;
    }

    @Override
    public long readEntry(long address, int size) {
      for (int i = writes.count - 1; i >= 0; i--) {
        if (writes.at[i] == address && writes.size[i] == size) {
          return writes.value[i]; // the walk reads back an entry it updated (a table that maps itself)
        }
      }
      long value = guest.physical().read(Addr.gpa(address), size);
      reads.add(address, size, value);
      return value;
    }

    @Override
    public void writeEntry(long address, int size, long value) {
      writes.add(address, size, value);
    }

    /** Whether any entry the walk read reads otherwise now. */
    boolean readsChanged() {
      for (int i = 0; i < reads.count; i++) {
        if (guest.physical().read(Addr.gpa(reads.at[i]), reads.size[i]) != reads.value[i]) {
          return true;
        }
      }
      return false;
    }

    /** Writes the held-back A/D updates as the walk would have ({@link GuestSide#writeWalkEntry}). */
    void writeBack(GuestSide guestSide) {
      for (int i = 0; i < writes.count; i++) {
        guestSide.writeWalkEntry(writes.at[i], writes.size[i], writes.value[i]);
      }
    }
  }

  /** Guest entries a walk touched, in order: address, width and value (allocated once). */
  private static final class EntryLog {
    private final String verb;
    final long[] at = new long[MAX_ENTRIES];
    final int[] size = new int[MAX_ENTRIES];
    final long[] value = new long[MAX_ENTRIES];
    int count;

    EntryLog(String verb) {
      this.verb = verb;
    }

    void add(long address, int width, long entry) {
      if (count == MAX_ENTRIES) {
        throw new IllegalStateException("a guest walk " + verb + " more than " + MAX_ENTRIES + " entries");
      }
      at[count] = address;
      size[count] = width;
      value[count] = entry;
      count++;
    }
  }
}
