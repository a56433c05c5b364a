package org.shadowref.memory;

/** What a guest frame is backed by, as Xen's p2m types say it. */
public enum P2mType {
  /** Ordinary guest RAM: readable, writable, executable. */
  RAM,
  /** Read-only RAM (a ROM image): reads and fetches reach memory, writes exit to the device model. */
  RAM_RO,
  /** Emulated device memory: every access exits to the device model. */
  MMIO,
  /** Nothing at this guest frame. */
  ABSENT;

  /** Whether reads and fetches of this frame reach machine memory. */
  public boolean isRam() {
    return this == RAM || this == RAM_RO;
  }
}
