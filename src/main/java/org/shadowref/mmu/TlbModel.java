package org.shadowref.mmu;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.shadowref.arch.Access;
import org.shadowref.arch.Addr;
import org.shadowref.arch.ControlRegisters;
import org.shadowref.arch.CpuModel;
import org.shadowref.arch.EntryBits;
import org.shadowref.arch.PagingMode;
import org.shadowref.arch.qual.Gpa;
import org.shadowref.arch.qual.Gva;
import org.shadowref.memory.GuestPhysicalMemory;

/**
 * What an architectural TLB may still hold (Intel SDM vol. 3, 4.10). A CPU may cache, at any
 * time and speculatively, any translation that is valid in the paging structures — present at
 * every level, no reserved bit, A set on every entry that has one — and keep using it after the
 * structures change, until an invalidation covers it: INVLPG or a #PF for that page, a CR3 load
 * for non-global translations, a full flush for all. A cached translation may be used for a
 * write only if it was cached with D set; one whose rights forbid the access may cause a
 * (spurious) protection fault even when the current tables allow it (SDM 4.10.4.3). A
 * not-present entry is never cached, so a page that became present cannot fault as not present.
 *
 * <p>The model keeps a log of guest-physical writes since the oldest invalidation point still
 * relevant, and answers: which outcomes other than a fresh walk could this access have on a real
 * CPU? That is the allowance an engine with out-of-sync shadows is judged by.
 */
public final class TlbModel {
  /** One logged write: the bytes at {@code gpa} went from {@code oldValue} to {@code newValue}. */
  private record Write(long seq, long gpa, int size, long oldValue) {}

  /** Per vCPU: the sequence numbers at which translations stopped being usable. */
  private static final class Invalidations {
    long fullFlush;
    long nonGlobalFlush;
    final Map<Long, Long> pageFlush = new HashMap<>();
    /** CR3 values loaded since the last full flush: their global translations may survive. */
    final List<Long> earlierRoots = new ArrayList<>();
  }

  private final Invalidations[] vcpus;
  private final List<Write> log = new ArrayList<>();
  private long seq;

  public TlbModel(int vcpuCount) {
    vcpus = new Invalidations[vcpuCount];
    for (int i = 0; i < vcpuCount; i++) {
      vcpus[i] = new Invalidations();
    }
  }

  /** Records a write to guest-physical memory (stores and A/D updates alike), before it lands. */
  public void recordWrite(@Gpa long gpa, int size, long oldValue) {
    seq++;
    log.add(new Write(seq, gpa, size, oldValue));
  }

  /** INVLPG, or a #PF delivered for {@code va}: no translation of its page survives. */
  public void invalidatePage(int vcpu, @Gva long va) {
    vcpus[vcpu].pageFlush.put(va >>> Addr.PAGE_SHIFT, seq);
    prune();
  }

  /** MOV CR3 from {@code oldCr3}: non-global translations are gone, global ones stay. */
  public void loadCr3(int vcpu, long oldCr3) {
    Invalidations inv = vcpus[vcpu];
    if (!inv.earlierRoots.contains(oldCr3)) {
      inv.earlierRoots.add(oldCr3);
    }
    inv.nonGlobalFlush = seq;
    prune();
  }

  /** A full flush (CR4.PGE or paging-mode change): every translation is gone. */
  public void flushAll(int vcpu) {
    vcpus[vcpu].fullFlush = seq;
    vcpus[vcpu].nonGlobalFlush = seq;
    vcpus[vcpu].pageFlush.clear();
    vcpus[vcpu].earlierRoots.clear();
    prune();
  }

  /** Number of logged writes (for tests and memory accounting). */
  public int loggedWrites() {
    return log.size();
  }

  /**
   * The outcomes other than a fresh walk that {@code access} at {@code va} may have on a real CPU:
   * uses of stale translations (OK at the stale machine address) and spurious protection faults.
   * The list may contain duplicates and may contain the fresh outcome too.
   */
  public List<AccessOutcome> staleOutcomes(
      int vcpu, GuestPhysicalMemory memory, ControlRegisters regs, CpuModel cpu, @Gva long va, Access access) {
    List<AccessOutcome> out = new ArrayList<>();
    Invalidations inv = vcpus[vcpu];
    staleFor(out, inv, memory, regs, cpu, va, access, true);
    for (long root : inv.earlierRoots) {
      if (root != regs.cr3()) {
        staleFor(out, inv, memory, regs.withCr3(root), cpu, va, access, false);
      }
    }
    return out;
  }

  /**
   * Adds the stale outcomes of every earlier version of the tables under {@code regs.cr3()}; from
   * a root that is no longer loaded only global translations count (and, since the model does
   * not record when that root was loaded, every version of them: a slight over-approximation).
   */
  private void staleFor(
      List<AccessOutcome> out,
      Invalidations inv,
      GuestPhysicalMemory memory,
      ControlRegisters regs,
      CpuModel cpu,
      @Gva long va,
      Access access,
      boolean currentRoot) {
    PagingMode mode = regs.pagingMode();
    if (mode == null) {
      return;
    }
    long page = mode.truncate(va) >>> Addr.PAGE_SHIFT;
    long pageFlush = inv.pageFlush.getOrDefault(page, 0L);
    // Version v is the state after log entry v (version 0 before the first logged write); it
    // was valid from seq(v) until the next write, and usable if that is after the invalidation.
    for (int version = 0; version <= log.size(); version++) {
      long validUntil = version < log.size() ? log.get(version).seq() - 1 : seq;
      if (validUntil == seq && currentRoot) {
        continue; // the current version under the loaded root: that is the fresh walk
      }
      long since = version > 0 ? log.get(version - 1).seq() : log.isEmpty() ? seq : log.get(0).seq() - 1;
      HistoricTables tables = new HistoricTables(memory, since);
      WalkResult walk = Walker.walk(tables, regs, cpu, va, access, false);
      if (walk.fault() == FaultKind.NOT_PRESENT || walk.fault() == FaultKind.RESERVED_BIT) {
        continue;
      }
      if (!allAccessed(walk)) {
        continue;
      }
      boolean global = regs.pge() && (walk.entry(walk.stopLevel()) & EntryBits.G) != 0;
      if (!currentRoot && !global) {
        continue;
      }
      long invalidatedAt = Math.max(Math.max(inv.fullFlush, pageFlush), global ? 0 : inv.nonGlobalFlush);
      if (validUntil < invalidatedAt) {
        continue; // superseded before the invalidation, so never cached after it
      }
      if (!walk.ok()) {
        out.add(AccessOutcome.guestFault(walk.errorCode(), va));
        continue;
      }
      if (access.isWrite() && (walk.entry(walk.stopLevel()) & EntryBits.D) == 0) {
        continue; // a clean cached translation is re-walked for a write
      }
      out.add(NativeMmu.physicalOutcome(memory, Addr.gpa(walk.translated()), access));
    }
  }

  private static boolean allAccessed(WalkResult walk) {
    PagingMode mode = walk.mode();
    for (int level = mode.levels(); level >= walk.stopLevel(); level--) {
      if (mode == PagingMode.PAE && level == 3) {
        continue;
      }
      if ((walk.entry(level) & EntryBits.A) == 0) {
        return false;
      }
    }
    return true;
  }

  /** Drops log entries no vCPU can need: older than every vCPU's last full flush. */
  private void prune() {
    long oldestNeeded = Long.MAX_VALUE;
    for (Invalidations inv : vcpus) {
      oldestNeeded = Math.min(oldestNeeded, inv.fullFlush);
    }
    int drop = 0;
    while (drop < log.size() && log.get(drop).seq() <= oldestNeeded) {
      drop++;
    }
    if (drop > 0) {
      log.subList(0, drop).clear();
    }
  }

  /** Guest tables as they were right after the write numbered {@code asOf}. */
  private final class HistoricTables implements PageTableMemory {
    private final GuestPhysicalMemory memory;
    private final long asOf;

    HistoricTables(GuestPhysicalMemory memory, long asOf) {
      this.memory = memory;
      this.asOf = asOf;
    }

    @Override
    public long readEntry(long address, int size) {
      long value = memory.read(Addr.gpa(address), size);
      // Undo, newest first, every later write that overlaps the entry's bytes.
      for (int i = log.size() - 1; i >= 0 && log.get(i).seq() > asOf; i--) {
        Write w = log.get(i);
        for (int b = 0; b < size; b++) {
          long byteAddress = address + b;
          if (byteAddress >= w.gpa() && byteAddress < w.gpa() + w.size()) {
            long old = (w.oldValue() >>> (8 * (byteAddress - w.gpa()))) & 0xFF;
            value = (value & ~(0xFFL << (8 * b))) | (old << (8 * b));
          }
        }
      }
      return value;
    }

    @Override
    public void writeEntry(long address, int size, long value) {
      throw new UnsupportedOperationException("historic tables are read-only");
    }
  }
}
