package org.shadowref.check.emulation;

import java.util.Random;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.arch.Addr;
import org.shadowref.emulate.CpuState;
import org.shadowref.emulate.EmulationResult;
import org.shadowref.emulate.InstructionExecutor;
import org.shadowref.emulate.SdmExecutor;
import org.shadowref.emulate.X86Emulator;

/**
 * One differential case per seed: a random instruction of the subset (real encodings with random
 * prefixes, ModRM, SIB, displacement and immediate), random registers and a random small guest;
 * the emulator and the oracle each run it on their own identical copy, and every observable must
 * agree: result kind, length, stop outcome (#PF error code and CR2, or exit), registers, RIP,
 * all of RFLAGS (flags the SDM leaves undefined have the model CPU's values in both), and all of
 * machine memory (data and the A/D bits in the tables).
 */
public final class EmulationCheck {
  private static final int[] PREFIXES = {0x66, 0x67, 0xF0, 0xF2, 0xF3, 0x2E, 0x3E, 0x64, 0x65};

  /** Opcodes of the subset; 0x0F-prefixed ones as 0x0Fxx. */
  private static final int[] OPCODES = {
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x10, 0x11, 0x13, 0x19,
    0x1B, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x28, 0x29, 0x2A, 0x2B, 0x2C, 0x2D, 0x30, 0x31, 0x32,
    0x33, 0x34, 0x35, 0x38, 0x39, 0x3B, 0x3D, 0x80, 0x81, 0x83, 0x86, 0x87, 0x88, 0x89, 0xC6, 0xC7,
    0xAA, 0xAB, 0x0FB0, 0x0FB1, 0x0FC7, 0x0FA3, 0x0FAB, 0x0FB3, 0x0FBB, 0x0FBA, 0x0FC3
  };

  private EmulationCheck() {}

  /** A random instruction of the subset, followed by a few trailing bytes the executors ignore. */
  public static byte[] instruction(Random random, CpuState.Mode mode) {
    byte[] out = new byte[24];
    int at = 0;
    while (random.nextInt(3) == 0 && at < 4) {
      out[at++] = (byte) PREFIXES[random.nextInt(PREFIXES.length)];
    }
    if (mode == CpuState.Mode.LONG_64 && random.nextBoolean()) {
      out[at++] = (byte) (0x40 | random.nextInt(16));
    }
    int opcode = OPCODES[random.nextInt(OPCODES.length)];
    if (opcode > 0xFF) {
      out[at++] = 0x0F;
    }
    out[at++] = (byte) opcode;
    int mod = random.nextInt(4);
    int reg = opcode == 0x0FC7 ? 1 : opcode == 0x0FBA ? 4 + random.nextInt(4) : opcode == 0xC6 || opcode == 0xC7 ? 0 : random.nextInt(8);
    int rm = random.nextInt(8);
    out[at++] = (byte) (mod << 6 | reg << 3 | rm);
    boolean sibBase5 = false;
    if (mod != 3 && rm == 4) {
      int sib = random.nextInt(256);
      out[at++] = (byte) sib;
      sibBase5 = (sib & 7) == 5;
    }
    long displacement = random.nextInt(3) == 0 ? EmulationGuest.DATA + random.nextInt(0x6000) : random.nextInt(0x100) - 0x80;
    int displacementBytes = mod == 1 ? 1 : mod == 2 || (mod == 0 && (rm == 5 || sibBase5)) ? 4 : 0;
    for (int i = 0; i < displacementBytes; i++) {
      out[at++] = (byte) (displacement >>> (8 * i));
    }
    for (int i = 0; i < 8; i++) {
      out[at++] = (byte) random.nextInt(256);
    }
    return out;
  }

  /** Registers that mostly point into the guest's data pages, with small values and pool values. */
  public static CpuState registers(Random random, CpuState.Mode mode, long[] pool) {
    CpuState state = new CpuState(mode);
    for (int i = 0; i < (mode == CpuState.Mode.LONG_64 ? 16 : 8); i++) {
      switch (random.nextInt(5)) {
        case 0:
        case 1:
          state.setGpr(i, EmulationGuest.DATA + random.nextInt(EmulationGuest.PAGES * 0x1000));
          break;
        case 2:
          state.setGpr(i, random.nextInt(64) - 8);
          break;
        case 3:
          state.setGpr(i, pool[random.nextInt(pool.length)]);
          break;
        default:
          state.setGpr(i, random.nextLong());
          break;
      }
    }
    if (random.nextBoolean()) {
      state.setGpr(CpuState.RCX, random.nextInt(40)); // REP counts that fit in the guest
    }
    state.setRip(EmulationGuest.DATA + random.nextInt(0x1000));
    state.setRflags(random.nextInt(0x1000) & 0xCD5);
    state.setFsBase(random.nextBoolean() ? 0 : random.nextInt(0x2000));
    state.setGsBase(random.nextBoolean() ? 0 : EmulationGuest.DATA);
    return state;
  }

  private static long[] pool(Random random) {
    long[] pool = new long[4];
    for (int i = 0; i < pool.length; i++) {
      pool[i] = random.nextLong();
    }
    pool[0] = 0;
    return pool;
  }

  /** Runs the case for {@code seed}; null when emulator and oracle agree, else a readable report. */
  public static @Nullable String compare(long seed) {
    return compare(seed, new X86Emulator());
  }

  /** {@link #compare(long)} judging {@code emulator} (a seeded one, for the mutation table). */
  public static @Nullable String compare(long seed, X86Emulator emulator) {
    Random random = new PlainRandom(seed);
    CpuState.Mode mode = random.nextBoolean() ? CpuState.Mode.LONG_64 : CpuState.Mode.PROTECTED_32;
    long[] pool = pool(random);
    long guestSeed = random.nextLong();
    CpuState initial = registers(random, mode, pool);
    byte[] code = instruction(random, mode);
    boolean user = random.nextBoolean();
    return compare(seed, initial, code, user, pool, guestSeed, emulator);
  }

  private static @Nullable String compare(long seed, CpuState initial, byte[] code, boolean user, long[] pool,
      long guestSeed, X86Emulator emulator) {
    CpuState.Mode mode = initial.mode();
    EmulationGuest emulatorGuest = new EmulationGuest(mode, pool, new PlainRandom(guestSeed));
    EmulationGuest oracleGuest = emulatorGuest.copy();
    CpuState emulatorState = initial.copy();
    CpuState oracleState = initial.copy();
    EmulationResult emulated = emulator.execute(emulatorState, code, emulatorGuest, user);
    EmulationResult native_ = new SdmExecutor().execute(oracleState, code, oracleGuest, user);
    String problem = disagreement(emulated, native_, initial, emulatorState, oracleState);
    if (problem == null && emulatorGuest.firstDifferentFrame(oracleGuest) >= 0) {
      problem = "memory differs in machine frame " + emulatorGuest.firstDifferentFrame(oracleGuest);
    }
    if (problem == null) {
      return null;
    }
    return "seed " + seed + ": " + hex(code) + " (" + X86Emulator.describe(code, mode) + ")" + (user ? " user" : " supervisor")
        + "\n  before:   " + initial
        + "\n  emulator: " + emulated + " -> " + emulatorState
        + "\n  oracle:   " + native_ + " -> " + oracleState
        + "\n  " + problem;
  }

  private static @Nullable String disagreement(
      EmulationResult emulated, EmulationResult native_, CpuState initial, CpuState emulatorState, CpuState oracleState) {
    if (emulated.kind() != native_.kind()) {
      return "result kinds differ";
    }
    if (emulated.kind() != EmulationResult.Kind.DONE) {
      if (!emulatorState.equals(initial) || !oracleState.equals(initial)) {
        return "registers changed on a result other than DONE";
      }
      if (emulated.kind() == EmulationResult.Kind.MEMORY_STOP && !emulated.equals(native_)) {
        return "stop outcomes differ";
      }
      return null;
    }
    if (emulated.length() != native_.length()) {
      return "lengths differ";
    }
    // All of RFLAGS: the flags the SDM leaves undefined have the model CPU's fixed values in both.
    return emulatorState.equals(oracleState) ? null : "registers or flags differ";
  }

  /**
   * Feeds random bytes (in a random mode) to the emulator; null when it behaved: when it refused,
   * neither registers nor the data pages changed. An exception propagates to the caller.
   */
  public static @Nullable String fuzz(long seed) {
    Random random = new PlainRandom(seed);
    CpuState.Mode mode = random.nextBoolean() ? CpuState.Mode.LONG_64 : CpuState.Mode.PROTECTED_32;
    long[] pool = pool(random);
    EmulationGuest guest = new EmulationGuest(mode, pool, random);
    CpuState initial = registers(random, mode, pool);
    byte[] code = new byte[random.nextInt(18)];
    random.nextBytes(code);
    EmulationGuest before = guest.snapshot();
    CpuState state = initial.copy();
    EmulationResult result = new X86Emulator().execute(state, code, guest, random.nextBoolean());
    if (result.kind() == EmulationResult.Kind.UNHANDLEABLE
        && (!state.equals(initial) || guest.firstChangedDataFrame(before) >= 0)) {
      return "seed " + seed + ": " + hex(code) + " refused (" + result.reason() + ") but changed state";
    }
    return null;
  }

  static String hex(byte[] code) {
    StringBuilder out = new StringBuilder();
    for (byte b : code) {
      out.append(String.format("%02x ", b & 0xFF));
    }
    return out.toString().trim();
  }

}
