package org.shadowref.check.diff;

import java.util.ArrayList;
import java.util.List;
import org.shadowref.arch.AccessKind;
import org.shadowref.check.shrink.Shrinker;
import org.shadowref.emulate.CpuState;
import org.shadowref.shadow.GuestOp;

/**
 * Simpler versions of one guest operation, simplest first, for the {@link Shrinker}: vCPU 0
 * instead of another, kernel instead of user, a read instead of a write or fetch, smaller
 * accesses, simpler values (zero, or only the low bits an entry's flags need), and for executed
 * instructions only the registers the generated stores read (RAX, RBX, RCX, RDX, RDI); a raced
 * access without its race, or its racing store simplified.
 */
public final class GuestOpSimplifier implements Shrinker.Simplifier<GuestOp> {
  private final int vcpus;

  public GuestOpSimplifier(int vcpus) {
    this.vcpus = vcpus;
  }

  @Override
  public List<GuestOp> simpler(GuestOp op) {
    List<GuestOp> out = new ArrayList<>();
    if (op instanceof GuestOp.MemoryAccess a) {
      if (a.vcpu() != 0) {
        out.add(new GuestOp.MemoryAccess(0, a.va(), a.kind(), a.user(), a.size(), a.value()));
      }
      if (a.user()) {
        out.add(new GuestOp.MemoryAccess(a.vcpu(), a.va(), a.kind(), false, a.size(), a.value()));
      }
      if (a.kind() != AccessKind.READ) {
        out.add(new GuestOp.MemoryAccess(a.vcpu(), a.va(), AccessKind.READ, a.user(), a.size(), 0));
      }
      if (a.size() > 1) {
        out.add(new GuestOp.MemoryAccess(a.vcpu(), a.va(), a.kind(), a.user(), a.size() / 2, a.value()));
      }
      if (a.kind() != AccessKind.WRITE && a.value() != 0) {
        out.add(new GuestOp.MemoryAccess(a.vcpu(), a.va(), a.kind(), a.user(), a.size(), 0));
      }
      if (a.kind() == AccessKind.WRITE && a.value() != 0) {
        out.add(new GuestOp.MemoryAccess(a.vcpu(), a.va(), a.kind(), a.user(), a.size(), 0));
      }
    } else if (op instanceof GuestOp.Execute e) {
      if (e.vcpu() != 0) {
        out.add(new GuestOp.Execute(0, e.code(), e.user(), e.gprs()));
      }
      if (e.user()) {
        out.add(new GuestOp.Execute(e.vcpu(), e.code(), false, e.gprs()));
      }
      long[] gprs = e.gprs();
      long[] only = new long[16];
      only[CpuState.RAX] = gprs[CpuState.RAX];
      only[CpuState.RDI] = gprs[CpuState.RDI];
      only[CpuState.RBX] = gprs[CpuState.RBX];
      only[CpuState.RCX] = gprs[CpuState.RCX];
      only[CpuState.RDX] = gprs[CpuState.RDX];
      if (!java.util.Arrays.equals(only, gprs)) {
        out.add(new GuestOp.Execute(e.vcpu(), e.code(), e.user(), only));
      }
      if (gprs[CpuState.RAX] != 0) {
        long[] zero = only.clone();
        zero[CpuState.RAX] = 0;
        out.add(new GuestOp.Execute(e.vcpu(), e.code(), e.user(), zero));
      }
    } else if (op instanceof GuestOp.Raced raced) {
      out.add(raced.access()); // the race dropped: the store no longer lands in the window
      out.add(raced.store());
      for (GuestOp simpler : simpler(raced.store())) {
        if (simpler instanceof GuestOp.MemoryAccess store && store.kind() == AccessKind.WRITE
            && store.vcpu() != raced.access().vcpu()) {
          out.add(new GuestOp.Raced(raced.access(), store));
        }
      }
    } else if (op.vcpu() != 0 && vcpus > 1) {
      out.add(onVcpu0(op));
    }
    return out;
  }

  private static GuestOp onVcpu0(GuestOp op) {
    if (op instanceof GuestOp.LoadCr3 load) {
      return new GuestOp.LoadCr3(0, load.cr3());
    }
    if (op instanceof GuestOp.Invlpg invlpg) {
      return new GuestOp.Invlpg(0, invlpg.va());
    }
    if (op instanceof GuestOp.FlushTlb) {
      return new GuestOp.FlushTlb(0);
    }
    if (op instanceof GuestOp.LogDirty log) {
      return new GuestOp.LogDirty(0, log.action());
    }
    if (op instanceof GuestOp.SetP2m change) {
      return new GuestOp.SetP2m(0, change.gfn(), change.type(), change.mfn(), change.copy());
    }
    GuestOp.SetControl c = (GuestOp.SetControl) op;
    return new GuestOp.SetControl(0, c.cr0(), c.cr4(), c.efer(), c.rflags());
  }
}
