package org.shadowref.check.trace;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.arch.AccessKind;
import org.shadowref.arch.Addr;
import org.shadowref.arch.ControlRegisters;
import org.shadowref.arch.PagingMode;
import org.shadowref.check.trace.JsonTree.Kind;
import org.shadowref.check.trace.JsonTree.Node;
import org.shadowref.emulate.CpuState;
import org.shadowref.memory.P2m;
import org.shadowref.memory.P2mType;
import org.shadowref.shadow.GuestOp;
import org.shadowref.shadow.OpResult;

/**
 * Reads trace files (the format is described in {@link TraceWriter}). Anything unexpected, an
 * unknown field included, is an error naming the file, line, column and field: a trace that
 * replays something other than what its author meant would be worse than none.
 */
public final class TraceReader {
  static final String FORMAT = "shadowref-trace";
  static final int VERSION = 1;

  private TraceReader() {}

  public static TraceFile read(Path file) throws TraceFormatException {
    return read(text(file, "trace"), file.toString());
  }

  /**
   * The contents of {@code file}, a {@code what} (trace, scenario) that must be UTF-8 text: a
   * directory, an unreadable file or binary bytes get a message saying which.
   */
  static String text(Path file, String what) throws TraceFormatException {
    if (Files.isDirectory(file)) {
      throw new TraceFormatException(file + ": is a directory, not a " + what + " file");
    }
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new TraceFormatException(file + ": no such " + what + " file");
    } catch (IOException e) {
      throw new TraceFormatException(file + ": cannot read: " + e.getMessage());
    }
    try {
      return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      throw new TraceFormatException(file + ": not a text " + what + " file (not UTF-8; a " + what
          + " is " + (what.equals("trace") ? "JSON" : "YAML or JSON") + " text)");
    }
  }

  /** Reads a trace from {@code json}; {@code source} names it in error messages. */
  public static TraceFile read(String json, String source) throws TraceFormatException {
    Node root = JsonTree.parse(json, source);
    Fields top = new Fields(root, "format", "version", "world", "ops", "expected", "origin");
    String format = string(top.required("format"));
    if (!format.equals(FORMAT)) {
      throw top.required("format").error("this is not a trace: format must be \"" + FORMAT + "\", got \"" + format + "\"");
    }
    Node versionNode = top.required("version");
    if (integer(versionNode, 0, Integer.MAX_VALUE) != VERSION) {
      throw versionNode.error("unsupported trace version " + versionNode.text + " (this build reads version " + VERSION + ")");
    }
    Node worldNode = top.optional("world");
    GuestSnapshot world = worldNode == null ? null : world(worldNode);
    List<GuestOp> ops = new ArrayList<>();
    Node opsNode = top.required("ops");
    for (Node op : array(opsNode)) {
      GuestOp parsed = op(op);
      if (world != null && parsed.vcpu() >= world.vcpus().size()) {
        throw op.error("vcpu " + parsed.vcpu() + " does not exist: the world has " + world.vcpus().size());
      }
      ops.add(parsed);
    }
    if (world == null && !ops.isEmpty()) {
      throw opsNode.error("operations need a world to run on, and this trace has none");
    }
    List<OpResult> expected = null;
    Node expectedNode = top.optional("expected");
    if (expectedNode != null) {
      expected = new ArrayList<>();
      for (Node result : array(expectedNode)) {
        expected.add(result(result));
      }
      if (expected.size() != ops.size()) {
        throw expectedNode.error("has " + expected.size() + " results for " + ops.size() + " operations");
      }
    }
    Node originNode = top.optional("origin");
    TraceFile.Origin origin = originNode == null ? null : origin(originNode);
    return new TraceFile(world, ops, expected, origin);
  }

  private static GuestSnapshot world(Node node) throws TraceFormatException {
    Fields f = new Fields(node, "mode", "maxPhysAddr", "machineFrames", "guestFrameLimit", "gfnCount", "p2m", "memory", "vcpus");
    int maxPhysAddr = integer(f.required("maxPhysAddr"), 32, 52);
    int machineFrames = integer(f.required("machineFrames"), 1, 1 << 20);
    int guestFrameLimit = integer(f.required("guestFrameLimit"), 0, machineFrames);
    int gfnCount = integer(f.required("gfnCount"), 0, 1 << 20);
    List<GuestSnapshot.P2mEntry> p2m = new ArrayList<>();
    for (Node entry : array(f.required("p2m"))) {
      p2m.add(p2mEntry(entry));
    }
    List<GuestSnapshot.MemoryWord> memory = new ArrayList<>();
    Node memoryNode = f.optional("memory");
    if (memoryNode != null) {
      for (Node word : array(memoryNode)) {
        memory.add(memoryWord(word));
      }
    }
    List<GuestSnapshot.VcpuState> vcpus = new ArrayList<>();
    for (Node vcpu : array(f.required("vcpus"))) {
      vcpus.add(vcpu(vcpu));
    }
    GuestSnapshot world;
    try {
      world = new GuestSnapshot(maxPhysAddr, machineFrames, guestFrameLimit, gfnCount, p2m, memory, vcpus);
    } catch (IllegalArgumentException e) {
      throw node.error(String.valueOf(e.getMessage()));
    }
    Node modeNode = f.optional("mode");
    if (modeNode != null) {
      String mode = string(modeNode);
      PagingMode actual = world.mode();
      String actualName = actual == null ? "off" : actual.cliName();
      if (!mode.equals(actualName)) {
        throw modeNode.error("says \"" + mode + "\" but vcpus[0]'s registers select \"" + actualName + "\"");
      }
    }
    return world;
  }

  private static GuestSnapshot.P2mEntry p2mEntry(Node node) throws TraceFormatException {
    Fields f = new Fields(node, "gfn", "type", "mfn");
    long gfn = number(f.required("gfn"));
    P2mType type = p2mType(f.required("type"));
    return new GuestSnapshot.P2mEntry(gfn, type, machineFrame(node, f, type, "a " + TraceWriter.p2mTypeName(type) + " entry"));
  }

  /**
   * The {@code mfn} field of a P2M entry of {@code type} ({@code what}, for the error): required
   * for RAM, refused otherwise ({@link P2m#INVALID_MFN} then).
   */
  private static long machineFrame(Node node, Fields f, P2mType type, String what) throws TraceFormatException {
    Node mfnNode = f.optional("mfn");
    if (type.isRam() && mfnNode == null) {
      throw node.error(what + " needs an \"mfn\"");
    }
    if (!type.isRam() && mfnNode != null) {
      throw mfnNode.error(what + " has no machine frame");
    }
    return mfnNode == null ? P2m.INVALID_MFN : number(mfnNode);
  }

  private static P2mType p2mType(Node node) throws TraceFormatException {
    String name = string(node);
    for (P2mType type : P2mType.values()) {
      if (TraceWriter.p2mTypeName(type).equals(name)) {
        return type;
      }
    }
    throw node.error("unknown p2m type \"" + name + "\" (expected ram, ram-ro, mmio or absent)");
  }

  private static GuestSnapshot.MemoryWord memoryWord(Node node) throws TraceFormatException {
    Fields f = new Fields(node, "gpa", "value", "size", "what");
    Node sizeNode = f.optional("size");
    int size = sizeNode == null ? 8 : integer(sizeNode, 4, 8);
    if (size != 4 && size != 8) {
      throw sizeNode == null ? node.error("bad size") : sizeNode.error("a memory word is 4 or 8 bytes, got " + size);
    }
    Node whatNode = f.optional("what");
    return new GuestSnapshot.MemoryWord(
        number(f.required("gpa")), size, number(f.required("value")), whatNode == null ? "" : string(whatNode));
  }

  private static GuestSnapshot.VcpuState vcpu(Node node) throws TraceFormatException {
    Fields f = new Fields(node, "cr0", "cr3", "cr4", "efer", "rflags", "cpuMode", "gprs");
    ControlRegisters regs =
        new ControlRegisters(
            number(f.required("cr0")),
            number(f.required("cr3")),
            f.numberOr("cr4", 0),
            f.numberOr("efer", 0),
            f.numberOr("rflags", 0));
    CpuState.Mode mode = GuestSnapshot.cpuModeFor(regs);
    Node modeNode = f.optional("cpuMode");
    if (modeNode != null) {
      mode = cpuMode(modeNode);
    }
    long[] gprs = new long[16];
    Node gprsNode = f.optional("gprs");
    if (gprsNode != null) {
      gprs = longs(gprsNode, 16);
    }
    return new GuestSnapshot.VcpuState(regs, mode, gprs);
  }

  private static CpuState.Mode cpuMode(Node node) throws TraceFormatException {
    String name = string(node);
    for (CpuState.Mode mode : CpuState.Mode.values()) {
      if (TraceWriter.cpuModeName(mode).equals(name)) {
        return mode;
      }
    }
    throw node.error("unknown cpuMode \"" + name + "\" (expected 32-bit or 64-bit)");
  }

  static GuestOp op(Node node) throws TraceFormatException {
    if (node.kind != Kind.OBJECT) {
      throw node.error("expected an operation object, found " + node.describe());
    }
    Node kindNode = node.fields.get("op");
    if (kindNode == null) {
      throw node.error("an operation needs an \"op\" field (access, execute, load-cr3, invlpg, flush, set-control, p2m or log-dirty)");
    }
    String kind = string(kindNode);
    Fields f;
    try {
      switch (kind) {
        case "access":
          {
            f = new Fields(node, "op", "vcpu", "va", "kind", "user", "size", "value", "racedBy");
            AccessKind access = accessKind(f.required("kind"));
            Node valueNode = f.optional("value");
            if (valueNode != null && access != AccessKind.WRITE) {
              throw valueNode.error("only a write has a value");
            }
            Node sizeNode = f.optional("size");
            GuestOp.MemoryAccess accessOp = new GuestOp.MemoryAccess(
                vcpu(f), Addr.gva(number(f.required("va"))), access, bool(f.required("user")),
                sizeNode == null ? 8 : integer(sizeNode, 1, 8), valueNode == null ? 0 : number(valueNode));
            Node racedBy = f.optional("racedBy");
            return racedBy == null ? accessOp : new GuestOp.Raced(accessOp, racingStore(racedBy));
          }
        case "execute":
          {
            f = new Fields(node, "op", "vcpu", "code", "user", "gprs");
            Node gprsNode = f.optional("gprs");
            return new GuestOp.Execute(
                vcpu(f), bytes(f.required("code")), bool(f.required("user")),
                gprsNode == null ? new long[16] : longs(gprsNode, 16));
          }
        case "load-cr3":
          f = new Fields(node, "op", "vcpu", "cr3");
          return new GuestOp.LoadCr3(vcpu(f), number(f.required("cr3")));
        case "invlpg":
          f = new Fields(node, "op", "vcpu", "va");
          return new GuestOp.Invlpg(vcpu(f), Addr.gva(number(f.required("va"))));
        case "flush":
          f = new Fields(node, "op", "vcpu");
          return new GuestOp.FlushTlb(vcpu(f));
        case "set-control":
          f = new Fields(node, "op", "vcpu", "cr0", "cr4", "efer", "rflags");
          return new GuestOp.SetControl(
              vcpu(f), number(f.required("cr0")), f.numberOr("cr4", 0), f.numberOr("efer", 0), f.numberOr("rflags", 0));
        case "p2m":
          {
            f = new Fields(node, "op", "vcpu", "gfn", "type", "mfn", "copy");
            P2mType type = p2mType(f.required("type"));
            long mfn = machineFrame(node, f, type, "a p2m change to " + TraceWriter.p2mTypeName(type));
            Node copyNode = f.optional("copy");
            return new GuestOp.SetP2m(vcpu(f), Addr.gfn(number(f.required("gfn"))), type, Addr.mfn(mfn),
                copyNode != null && bool(copyNode));
          }
        case "log-dirty":
          {
            f = new Fields(node, "op", "vcpu", "action");
            Node actionNode = f.required("action");
            // YAML 1.1 reads a bare on or off as a boolean: take it as the word it was.
            String action = actionNode.kind == Kind.BOOLEAN
                ? (List.of("true", "on", "yes").contains(actionNode.text.toLowerCase(Locale.ROOT)) ? "on" : "off")
                : string(actionNode);
            for (GuestOp.LogDirty.Action candidate : GuestOp.LogDirty.Action.values()) {
              if (candidate.cliName().equals(action)) {
                return new GuestOp.LogDirty(vcpu(f), candidate);
              }
            }
            throw actionNode.error("unknown log-dirty action \"" + action + "\" (expected on, clean or off)");
          }
        default:
          throw kindNode.error(
              "unknown operation \"" + kind + "\" (expected access, execute, load-cr3, invlpg, flush, set-control, p2m or log-dirty)");
      }
    } catch (IllegalArgumentException e) {
      throw node.error(String.valueOf(e.getMessage()));
    }
  }

  /** An access's {@code racedBy}: the store another vCPU makes in the access's handler window. */
  private static GuestOp.MemoryAccess racingStore(Node node) throws TraceFormatException {
    Fields f = new Fields(node, "vcpu", "va", "user", "size", "value");
    Node userNode = f.optional("user");
    Node sizeNode = f.optional("size");
    try {
      return new GuestOp.MemoryAccess(vcpu(f), Addr.gva(number(f.required("va"))), AccessKind.WRITE,
          userNode != null && bool(userNode), sizeNode == null ? 8 : integer(sizeNode, 1, 8), number(f.required("value")));
    } catch (IllegalArgumentException e) {
      throw node.error(String.valueOf(e.getMessage()));
    }
  }

  private static int vcpu(Fields f) throws TraceFormatException {
    return integer(f.required("vcpu"), 0, 255);
  }

  private static AccessKind accessKind(Node node) throws TraceFormatException {
    String name = string(node);
    for (AccessKind kind : AccessKind.values()) {
      if (kind.name().toLowerCase(Locale.ROOT).equals(name)) {
        return kind;
      }
    }
    throw node.error("unknown access kind \"" + name + "\" (expected read, write or fetch)");
  }

  /** A result status by its trace name: ok, guest-fault, mmio, unmapped-gfn or invalid. */
  static OpResult.Status status(Node node) throws TraceFormatException {
    String name = string(node);
    for (OpResult.Status candidate : OpResult.Status.values()) {
      if (TraceWriter.statusName(candidate).equals(name)) {
        return candidate;
      }
    }
    throw node.error("unknown status \"" + name + "\" (expected ok, guest-fault, mmio, unmapped-gfn or invalid)");
  }

  static OpResult result(Node node) throws TraceFormatException {
    Fields f = new Fields(node, "status", "address", "errorCode", "value", "detail");
    OpResult.Status status = status(f.required("status"));
    Node errorNode = f.optional("errorCode");
    Node detailNode = f.optional("detail");
    return new OpResult(
        status,
        f.numberOr("address", 0),
        errorNode == null ? 0 : integer(errorNode, 0, 0xFFFF),
        f.numberOr("value", 0),
        detailNode == null ? "" : string(detailNode));
  }

  private static TraceFile.Origin origin(Node node) throws TraceFormatException {
    Fields f = new Fields(node, "model", "args", "property", "detail", "choices");
    List<int[]> choices = new ArrayList<>();
    for (Node step : array(f.required("choices"))) {
      List<Node> answers = array(step);
      int[] values = new int[answers.size()];
      for (int i = 0; i < values.length; i++) {
        values[i] = integer(answers.get(i), Integer.MIN_VALUE, Integer.MAX_VALUE);
      }
      choices.add(values);
    }
    Node args = f.optional("args");
    Node detail = f.optional("detail");
    return new TraceFile.Origin(
        string(f.required("model")),
        args == null ? "" : string(args),
        string(f.required("property")),
        detail == null ? "" : string(detail),
        choices);
  }

  // ---- scalars ----

  /** A 64-bit value: a JSON integer, or a string "0x..." (hex, up to 16 digits) or decimal. */
  static long number(Node node) throws TraceFormatException {
    String text = node.text;
    try {
      if (node.kind == Kind.NUMBER && !isHex(text)) {
        return Long.parseLong(text);
      }
      if (node.kind == Kind.STRING || node.kind == Kind.NUMBER) { // YAML reads 0x1000 as a number
        if (text.startsWith("0x") || text.startsWith("0X")) {
          String digits = text.substring(2);
          if (digits.isEmpty() || digits.length() > 16) {
            throw new NumberFormatException();
          }
          return Long.parseUnsignedLong(digits, 16);
        }
        return Long.parseLong(text);
      }
    } catch (NumberFormatException e) {
      throw node.error("\"" + text + "\" is not a 64-bit number (write 0x1000 or 4096)");
    }
    throw node.error("expected a number or a hex string like \"0x1000\", found " + node.describe());
  }

  private static boolean isHex(String text) {
    return text.startsWith("0x") || text.startsWith("0X");
  }

  static int integer(Node node, int min, int max) throws TraceFormatException {
    long value = number(node);
    if (value < min || value > max) {
      throw node.error("must be within " + min + ".." + max + ", got " + value);
    }
    return (int) value;
  }

  static String string(Node node) throws TraceFormatException {
    if (node.kind != Kind.STRING) {
      throw node.error("expected a string, found " + node.describe());
    }
    return node.text;
  }

  static boolean bool(Node node) throws TraceFormatException {
    if (node.kind != Kind.BOOLEAN) {
      throw node.error("expected true or false, found " + node.describe());
    }
    return node.text.equals("true");
  }

  static List<Node> array(Node node) throws TraceFormatException {
    if (node.kind != Kind.ARRAY) {
      throw node.error("expected an array, found " + node.describe());
    }
    return node.items;
  }

  private static long[] longs(Node node, int length) throws TraceFormatException {
    List<Node> items = array(node);
    if (items.size() != length) {
      throw node.error("expected " + length + " values, found " + items.size());
    }
    long[] values = new long[length];
    for (int i = 0; i < length; i++) {
      values[i] = number(items.get(i));
    }
    return values;
  }

  private static byte[] bytes(Node node) throws TraceFormatException {
    String hex = string(node);
    if (hex.isEmpty() || hex.length() % 2 != 0 || hex.length() > 2 * GuestOp.Execute.MAX_CODE_BYTES) {
      throw node.error("code must be 1 to " + GuestOp.Execute.MAX_CODE_BYTES
          + " bytes (one instruction or a block of them) as hex digits, e.g. \"48890b\", got \"" + hex + "\"");
    }
    byte[] out = new byte[hex.length() / 2];
    for (int i = 0; i < out.length; i++) {
      int high = Character.digit(hex.charAt(2 * i), 16);
      int low = Character.digit(hex.charAt(2 * i + 1), 16);
      if (high < 0 || low < 0) {
        throw node.error("code \"" + hex + "\" is not hex");
      }
      out[i] = (byte) (high * 16 + low);
    }
    return out;
  }

  /** An object's fields, checked against the names the format allows. */
  static final class Fields {
    private final Node node;

    Fields(Node node, String... known) throws TraceFormatException {
      if (node.kind != Kind.OBJECT) {
        throw node.error("expected an object, found " + node.describe());
      }
      this.node = node;
      List<String> allowed = Arrays.asList(known);
      for (String name : node.fields.keySet()) {
        if (!allowed.contains(name)) {
          Node field = node.fields.get(name);
          throw (field == null ? node : field).error("unknown field (expected one of: " + String.join(", ", known) + ")");
        }
      }
    }

    Node required(String name) throws TraceFormatException {
      Node field = node.fields.get(name);
      if (field == null) {
        throw node.error("missing field \"" + name + "\"");
      }
      return field;
    }

    @Nullable Node optional(String name) {
      return node.fields.get(name);
    }

    long numberOr(String name, long fallback) throws TraceFormatException {
      Node field = node.fields.get(name);
      return field == null ? fallback : number(field);
    }
  }
}
