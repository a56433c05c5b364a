package org.shadowref.arch;

/** What a memory access does with the bytes it reaches. */
public enum AccessKind {
  READ,
  WRITE,
  FETCH
}
