package org.shadowref.shadow.invariant;

import java.util.Arrays;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A read-only description of one shadow table, as an engine reports it to the invariant
 * predicates.
 *
 * @param key the engine's name for its index key (unique per shadow)
 * @param type the shadow type's name
 * @param guestGfn the guest frame the shadow is indexed under
 * @param level the level of the hardware walk it serves (1 holds leaves)
 * @param shadowsGuestFrame whether {@code guestGfn} is a guest page table it is derived from
 * @param mfns the machine frames holding its entries
 * @param entryBytes 4 or 8
 * @param refCount the engine's reference count
 * @param pinned whether the engine holds one of those references for a pin (a top-level shadow
 *     kept for an address space the guest may switch back to)
 * @param previousRoots how many of those references vCPUs' caches of previous roots hold, one
 *     each (a top-level shadow a vCPU ran on recently and may switch back to)
 * @param childTypes the types its present entries may point at (empty for leaf tables)
 * @param slot for a splinter, which large leaf of the guest table {@code guestGfn} it splits (its
 *     index there; for a 1 GiB page's 2 MiB pieces, index * 512 + piece); else 0
 * @param pse the guest's CR4.PSE the shadow was made under (32-bit guests)
 * @param nxe the guest's EFER.NXE the shadow was made under (PAE and 4-level guests)
 */
public record ShadowTable(
    String key,
    String type,
    long guestGfn,
    int level,
    boolean shadowsGuestFrame,
    long[] mfns,
    int entryBytes,
    int refCount,
    boolean pinned,
    int previousRoots,
    String[] childTypes,
    long slot,
    boolean pse,
    boolean nxe) {
  public ShadowTable {
    mfns = mfns.clone();
    childTypes = childTypes.clone();
  }

  @Override
  public long[] mfns() {
    return mfns.clone();
  }

  @Override
  public String[] childTypes() {
    return childTypes.clone();
  }

  /** How many frames the table spans. */
  public int parts() {
    return mfns.length;
  }

  /** The machine frame holding part {@code part} (no copy: the predicates read every entry). */
  public long mfn(int part) {
    return mfns[part];
  }

  public int entriesPerFrame() {
    return 4096 / entryBytes;
  }

  public boolean mayPointAt(String childType) {
    for (String allowed : childTypes) {
      if (allowed.equals(childType)) {
        return true;
      }
    }
    return false;
  }

  @Override
  public boolean equals(@Nullable Object other) {
    return other instanceof ShadowTable that && that.key.equals(key);
  }

  @Override
  public int hashCode() {
    return key.hashCode();
  }

  @Override
  public String toString() {
    return key + " frames " + Arrays.toString(mfns) + " refs " + refCount + (pinned ? " pinned" : "")
        + (previousRoots > 0 ? " previous root of " + previousRoots + (previousRoots == 1 ? " vcpu" : " vcpus") : "");
  }
}
