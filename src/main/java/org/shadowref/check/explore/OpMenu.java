package org.shadowref.check.explore;

import java.util.ArrayList;
import java.util.List;
import org.shadowref.arch.AccessKind;
import org.shadowref.arch.Addr;
import org.shadowref.arch.ControlRegisters;
import org.shadowref.shadow.GuestOp;

/**
 * A finite universe of guest operations for a model to choose from: accesses of every kind and
 * privilege to a few addresses, stores of a few values (page-table writes, through a mapping of
 * the tables), CR3 loads, INVLPGs, flushes and control-register settings, on any of the vCPUs.
 * {@link #choose} makes the choices in a fixed order, so traces read naturally: vCPU, family,
 * then the family's parameters.
 */
public final class OpMenu {
  private final int vcpus;
  private final long[] accessVas;
  private final AccessKind[] kinds;
  private final long[] storeVas;
  private final long[] storeValues;
  private final long[] cr3Values;
  private final long[] invlpgVas;
  private final boolean flush;
  private final ControlRegisters[] controls;
  private final int storeSize;

  private OpMenu(Builder b) {
    vcpus = b.vcpus;
    accessVas = b.accessVas;
    kinds = b.kinds;
    storeVas = b.storeVas;
    storeValues = b.storeValues;
    cr3Values = b.cr3Values;
    invlpgVas = b.invlpgVas;
    flush = b.flush;
    controls = b.controls.toArray(new ControlRegisters[0]);
    storeSize = b.storeSize;
  }

  public static Builder builder(int vcpus) {
    return new Builder(vcpus);
  }

  /** Collects the families; a family left out is never chosen. */
  public static final class Builder {
    private final int vcpus;
    private long[] accessVas = new long[0];
    private AccessKind[] kinds = AccessKind.values();
    private long[] storeVas = new long[0];
    private long[] storeValues = new long[0];
    private long[] cr3Values = new long[0];
    private long[] invlpgVas = new long[0];
    private boolean flush;
    private final List<ControlRegisters> controls = new ArrayList<>();
    private int storeSize = 8;

    private Builder(int vcpus) {
      if (vcpus < 1) {
        throw new IllegalArgumentException("a menu needs at least one vcpu");
      }
      this.vcpus = vcpus;
    }

    /** Loads, stores (of 0) and fetches of 8 bytes at each address, user and supervisor. */
    public Builder accesses(long[] vas, AccessKind... accessKinds) {
      accessVas = vas.clone();
      if (accessKinds.length > 0) {
        kinds = accessKinds.clone();
      }
      return this;
    }

    /** Supervisor stores of each value at each address, {@code size} bytes (4 for 32-bit tables). */
    public Builder stores(long[] vas, long[] values, int size) {
      storeVas = vas.clone();
      storeValues = values.clone();
      storeSize = size;
      return this;
    }

    public Builder cr3Loads(long... values) {
      cr3Values = values.clone();
      return this;
    }

    public Builder invlpgs(long... vas) {
      invlpgVas = vas.clone();
      return this;
    }

    public Builder flushes() {
      flush = true;
      return this;
    }

    /** A control setting the guest may switch to (CR0, CR4, EFER, RFLAGS; CR3 is kept). */
    public Builder control(ControlRegisters regs) {
      controls.add(regs);
      return this;
    }

    public OpMenu build() {
      return new OpMenu(this);
    }
  }

  /** One operation of the menu; every operation is some sequence of answers. */
  public GuestOp choose(Choices choices) {
    int vcpu = vcpus == 1 ? 0 : choices.chooseInt(0, vcpus - 1);
    int families = familyCount();
    if (families == 0) {
      throw new IllegalStateException("the operation menu is empty");
    }
    int family = nthFamily(families == 1 ? 0 : choices.chooseInt(0, families - 1));
    switch (family) {
      case 0:
        {
          long va = pick(accessVas, choices);
          AccessKind kind = kinds[kinds.length == 1 ? 0 : choices.chooseInt(0, kinds.length - 1)];
          return new GuestOp.MemoryAccess(vcpu, Addr.gva(va), kind, choices.chooseBoolean(), 8, 0);
        }
      case 1:
        {
          long va = pick(storeVas, choices);
          long value = pick(storeValues, choices);
          return new GuestOp.MemoryAccess(vcpu, Addr.gva(va), AccessKind.WRITE, false, storeSize, value);
        }
      case 2:
        return new GuestOp.LoadCr3(vcpu, pick(cr3Values, choices));
      case 3:
        return new GuestOp.Invlpg(vcpu, Addr.gva(pick(invlpgVas, choices)));
      case 4:
        return new GuestOp.FlushTlb(vcpu);
      default:
        {
          ControlRegisters regs = controls[controls.length == 1 ? 0 : choices.chooseInt(0, controls.length - 1)];
          return new GuestOp.SetControl(vcpu, regs.cr0(), regs.cr4(), regs.efer(), regs.rflags());
        }
    }
  }

  private static long pick(long[] values, Choices choices) {
    return values[values.length == 1 ? 0 : choices.chooseInt(0, values.length - 1)];
  }

  private boolean present(int family) {
    switch (family) {
      case 0:
        return accessVas.length > 0;
      case 1:
        return storeVas.length > 0 && storeValues.length > 0;
      case 2:
        return cr3Values.length > 0;
      case 3:
        return invlpgVas.length > 0;
      case 4:
        return flush;
      default:
        return controls.length > 0;
    }
  }

  private int familyCount() {
    int count = 0;
    for (int family = 0; family < 6; family++) {
      count += present(family) ? 1 : 0;
    }
    return count;
  }

  /** The family behind the {@code index}-th present one. */
  private int nthFamily(int index) {
    int seen = 0;
    for (int family = 0; family < 6; family++) {
      if (present(family)) {
        if (seen == index) {
          return family;
        }
        seen++;
      }
    }
    throw new IllegalStateException("no family " + index);
  }

  /** How many distinct operations the menu holds. */
  public long size() {
    long perVcpu = 0;
    perVcpu += (long) accessVas.length * kinds.length * 2;
    perVcpu += (long) storeVas.length * storeValues.length;
    perVcpu += cr3Values.length + invlpgVas.length + (flush ? 1 : 0) + controls.length;
    return perVcpu * vcpus;
  }
}
