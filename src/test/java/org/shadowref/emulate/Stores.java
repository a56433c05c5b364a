package org.shadowref.emulate;

/** Instruction bytes the engine tests use for a guest store through {@code rdi}. */
public final class Stores {
  /** {@code mov [rdi], rax}. */
  public static final byte[] STORE_64 = {0x48, (byte) 0x89, 0x07};
  /** {@code mov [edi], eax}. */
  public static final byte[] STORE_32 = {(byte) 0x89, 0x07};

  private Stores() {}
}
