package org.shadowref.arch;

/**
 * Properties of the CPU itself rather than of its registers. MAXPHYADDR decides which entry bits
 * are reserved; 1 GiB pages and PSE-36 are always supported.
 */
public record CpuModel(int maxPhysAddr) {
  public static final CpuModel DEFAULT = new CpuModel(40);

  public CpuModel {
    if (maxPhysAddr < 32 || maxPhysAddr > 52) {
      throw new IllegalArgumentException("MAXPHYADDR must be within 32..52, got " + maxPhysAddr);
    }
  }
}
