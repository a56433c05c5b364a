package org.shadowref.shadow;

import java.util.Arrays;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.arch.AccessKind;
import org.shadowref.arch.Addr;
import org.shadowref.arch.qual.Gfn;
import org.shadowref.arch.qual.Gva;
import org.shadowref.arch.qual.Mfn;
import org.shadowref.emulate.CpuState;
import org.shadowref.memory.P2m;
import org.shadowref.memory.P2mType;

/**
 * One thing a guest vCPU does that paging can observe, or one thing the hypervisor does to the
 * running guest's memory ({@link SetP2m}). The same operations drive the native
 * machine, the reference engine and the optimized engine; traces, models and generated
 * campaigns are sequences of them.
 */
public sealed interface GuestOp
    permits GuestOp.MemoryAccess,
        GuestOp.Execute,
        GuestOp.LoadCr3,
        GuestOp.Invlpg,
        GuestOp.FlushTlb,
        GuestOp.SetControl,
        GuestOp.SetP2m,
        GuestOp.LogDirty,
        GuestOp.Raced {

  /** The vCPU that performs the operation. */
  int vcpu();

  /**
   * A plain load, store or instruction fetch of {@code size} bytes at {@code va}; a store writes
   * the low {@code size} bytes of {@code value} (a {@code MOV} whose operands are known).
   */
  record MemoryAccess(int vcpu, @Gva long va, AccessKind kind, boolean user, int size, long value)
      implements GuestOp {
    /** Checks the size (1, 2, 4 or 8 bytes) and that the access stays within its page. */
    public MemoryAccess {
      if (size != 1 && size != 2 && size != 4 && size != 8) {
        throw new IllegalArgumentException("access size must be 1, 2, 4 or 8, got " + size);
      }
      if (Addr.pageOffset(va) + size > Addr.PAGE_SIZE) {
        throw new IllegalArgumentException("access at " + Addr.hex(va) + " crosses a page");
      }
    }

    @Override
    public String toString() {
      String what = kind.name().toLowerCase(java.util.Locale.ROOT);
      String value = kind == AccessKind.WRITE ? " value=" + Addr.hex(this.value) : "";
      return "v" + vcpu + " " + (user ? "user " : "kernel ") + what + size + " " + Addr.hex(va) + value;
    }
  }

  /**
   * Executes a straight-line block of instructions given as bytes, one after the other, with the
   * general registers set to {@code gprs} (16 values, RAX..R15) before the first: how guests
   * really write page tables. Most blocks are one instruction; a PAE guest writes a 64-bit entry
   * as two 32-bit stores, which is two. Each instruction starts from the registers the one
   * before it left; an instruction that faults ends the operation with that fault, the ones
   * before it done (as a real CPU delivers the #PF at the faulting instruction).
   */
  record Execute(int vcpu, byte[] code, boolean user, long[] gprs) implements GuestOp {
    /** The general registers an Execute sets: all sixteen. */
    public static final int GPRS = 16;
    /** The longest block: room for a few instructions of the 15 bytes each may have. */
    public static final int MAX_CODE_BYTES = 64;

    /** Checks the register count and copies the arrays, so the operation cannot change later. */
    public Execute {
      if (gprs.length != GPRS) {
        throw new IllegalArgumentException("an Execute needs " + GPRS + " register values, got " + gprs.length);
      }
      if (code.length == 0 || code.length > MAX_CODE_BYTES) {
        throw new IllegalArgumentException(
            "an Execute's block is 1 to " + MAX_CODE_BYTES + " bytes, got " + code.length);
      }
      code = code.clone();
      gprs = gprs.clone();
    }

    /** The number of bytes in the block. */
    public int codeLength() {
      return code.length;
    }

    /**
     * The rest of this block after its first {@code done} bytes, starting from the general
     * registers of {@code after} (the state the instructions done left); null if nothing is left.
     */
    public @Nullable Execute rest(int done, CpuState after) {
      if (done <= 0 || done > code.length) {
        throw new IllegalArgumentException("a block of " + code.length + " bytes cannot have done " + done);
      }
      if (done == code.length) {
        return null;
      }
      long[] registers = new long[GPRS];
      for (int i = 0; i < GPRS; i++) {
        registers[i] = after.gpr(i);
      }
      return new Execute(vcpu, Arrays.copyOfRange(code, done, code.length), user, registers);
    }

    /** The instruction's bytes (a copy). */
    @Override
    public byte[] code() {
      return code.clone();
    }

    /** The sixteen general registers set before the instruction runs (a copy). */
    @Override
    public long[] gprs() {
      return gprs.clone();
    }

    /** General register {@code index}'s value, without copying all sixteen. */
    public long gpr(int index) {
      return gprs[index];
    }

    @Override
    public boolean equals(@Nullable Object other) {
      return other instanceof Execute that
          && that.vcpu == vcpu
          && that.user == user
          && Arrays.equals(that.code, code)
          && Arrays.equals(that.gprs, gprs);
    }

    @Override
    public int hashCode() {
      return 31 * (31 * vcpu + Arrays.hashCode(code)) + Arrays.hashCode(gprs) + (user ? 1 : 0);
    }

    @Override
    public String toString() {
      StringBuilder bytes = new StringBuilder();
      for (byte b : code) {
        bytes.append(String.format("%02x", b & 0xFF));
      }
      return "v" + vcpu + " " + (user ? "user " : "kernel ") + "exec " + bytes;
    }
  }

  /** {@code MOV CR3}: switch address space (flushes non-global translations). */
  record LoadCr3(int vcpu, long cr3) implements GuestOp {
    @Override
    public String toString() {
      return "v" + vcpu + " load-cr3 " + Addr.hex(cr3);
    }
  }

  /** {@code INVLPG va}: drop any translation of the page containing {@code va}. */
  record Invlpg(int vcpu, @Gva long va) implements GuestOp {
    @Override
    public String toString() {
      return "v" + vcpu + " invlpg " + Addr.hex(va);
    }
  }

  /** A full TLB flush, global entries included (as a CR4.PGE toggle does). */
  record FlushTlb(int vcpu) implements GuestOp {
    @Override
    public String toString() {
      return "v" + vcpu + " flush";
    }
  }

  /**
   * Writes CR0, CR4, EFER and RFLAGS together (paging on/off, WP, PSE, SMEP, SMAP, NXE, AC),
   * keeping CR3.
   */
  record SetControl(int vcpu, long cr0, long cr4, long efer, long rflags) implements GuestOp {
    @Override
    public String toString() {
      return "v" + vcpu + " set-control cr0=" + Addr.hex(cr0) + " cr4=" + Addr.hex(cr4)
          + " efer=" + Addr.hex(efer) + " rflags=" + Addr.hex(rflags);
    }
  }

  /**
   * The hypervisor changes guest frame {@code gfn}'s P2M entry while the guest runs: ballooning it
   * out ({@link P2mType#ABSENT}) or back in, migrating or sharing its page (another machine frame),
   * making it read-only or a device's ({@link P2mType#MMIO}). It acts on {@code vcpu}'s exit (a
   * balloon hypercall, say) but for the whole guest: when it returns, every vCPU sees the new entry,
   * as after the hypervisor's TLB flush. {@link HypervisorP2m} says what is accepted.
   *
   * @param mfn the new machine frame, for RAM and read-only RAM ({@link P2m#INVALID_MFN} otherwise)
   * @param copy whether the hypervisor first copies the page's contents to the new frame (a page
   *     migration); without it the new frame keeps what it holds (a shared page, or a frame handed
   *     back after ballooning)
   */
  record SetP2m(int vcpu, @Gfn long gfn, P2mType type, @Mfn long mfn, boolean copy) implements GuestOp {
    @Override
    public String toString() {
      String target = type.isRam() ? " " + Addr.hex(mfn) + (copy ? " copy" : "") : "";
      return "v" + vcpu + " p2m " + Addr.hex(gfn) + " " + type.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-')
          + target;
    }
  }

  /**
   * The hypervisor's log-dirty mode, which live migration runs on: {@code ON} starts logging the
   * guest frames written, {@code CLEAN} hands the dirty set to the migration and starts a new
   * round, {@code OFF} stops. Acting on {@code vcpu}'s exit, for the whole guest, which sees none
   * of it: on native it changes nothing.
   */
  record LogDirty(int vcpu, Action action) implements GuestOp {
    /** What the migration asks of the log. */
    public enum Action {
      /** Start logging: nothing is dirty yet. */
      ON,
      /** Hand the dirty frames to the migration and start a new round with none. */
      CLEAN,
      /** Stop logging. */
      OFF;

      /** The name scenarios and traces use: {@code on}, {@code clean}, {@code off}. */
      public String cliName() {
        return name().toLowerCase(java.util.Locale.ROOT);
      }
    }

    @Override
    public String toString() {
      return "v" + vcpu + " log-dirty " + action.cliName();
    }
  }

  /**
   * Another vCPU's store races into the handler of {@code access}: {@code store}, by vCPU {@code
   * store.vcpu()}, lands between the guest walk of {@code access}'s first shadow fault and the
   * install of its result, where an engine walks the guest's tables before taking the shadow lock.
   * It linearizes before the access, as on native, where the store happens first and the access
   * then walks what it wrote; an engine without that window, or an access that does not fault,
   * performs the store first too.
   */
  record Raced(MemoryAccess access, MemoryAccess store) implements GuestOp {
    /** Checks that {@code store} is a store, by a vCPU other than {@code access}'s. */
    public Raced {
      if (store.kind() != AccessKind.WRITE) {
        throw new IllegalArgumentException("the racing operation must be a store, got " + store);
      }
      if (store.vcpu() == access.vcpu()) {
        throw new IllegalArgumentException("the racing store must come from another vCPU than the access's, both are v"
            + access.vcpu());
      }
    }

    @Override
    public int vcpu() {
      return access.vcpu();
    }

    /**
     * What the guest observes of the pair: the access's result, or the store's when the store did
     * not complete (a fault or an exit on the other vCPU).
     */
    public static OpResult result(OpResult store, OpResult access) {
      return store.status() == OpResult.Status.OK ? access : store;
    }

    @Override
    public String toString() {
      return access + " raced by " + store;
    }
  }
}
