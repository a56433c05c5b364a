package org.shadowref.check.trace;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.arch.Addr;
import org.shadowref.arch.ControlRegisters;
import org.shadowref.arch.CpuModel;
import org.shadowref.arch.EntryBits;
import org.shadowref.arch.PagingMode;
import org.shadowref.arch.PfErrorCode;
import org.shadowref.arch.qual.Gfn;
import org.shadowref.check.trace.JsonTree.Kind;
import org.shadowref.check.trace.JsonTree.Node;
import org.shadowref.check.trace.TraceReader.Fields;
import org.shadowref.emulate.CpuState;
import org.shadowref.memory.GuestPhysicalMemory;
import org.shadowref.memory.MachineMemory;
import org.shadowref.memory.P2m;
import org.shadowref.memory.P2mType;
import org.shadowref.mmu.PageTableBuilder;
import org.shadowref.shadow.GuestMachine;
import org.shadowref.shadow.GuestOp;
import org.shadowref.shadow.OpResult;
import org.shadowref.shadow.Vcpu;

/**
 * Reads scenario files, YAML ({@code .yaml}, {@code .yml}) or JSON. The schema is
 * {@code examples/scenario.schema.json}; in short:
 *
 * <pre>
 * format: shadowref-scenario
 * version: 1
 * name: guest-not-present
 * case: guest-not-present            # the handler case it exercises
 * description: ...
 * guest:
 *   mode: 4level                     # 2level | pae | 4level | off
 *   control: [WP, NXE]               # any of WP PSE PGE NXE SMEP SMAP AC
 *   maxPhysAddr: 40                  # default 40
 *   ramFrames: 64                    # gfn i is RAM at machine frame i, for i below this (default 64)
 *   shadowFrames: 64                 # machine frames for the hypervisor above the guest's (default 64)
 *   tablesFrom: 0x20                 # page tables are allocated upward from this gfn (default ramFrames/2)
 *   vcpus: 1                         # default 1; all start with the same registers
 *   p2m:      [ {gfn: 0x30, type: mmio} ]                     # ram | ram-ro | mmio | absent (mfn for ram)
 *   mappings: [ {va: 0x400000, gpa: 0x10000, level: 1, flags: [P, RW, US, A, D], directory: [P, RW, US, A]} ]
 *   entries:  [ {va: 0x400000, level: 1, value: 0x10001} ]     # raw entries, applied after mappings
 *   memory:   [ {gpa: 0x10000, size: 8, value: 0x1234} ]
 * steps:                             # trace operations, each with an optional partial expectation
 *   - {op: access, vcpu: 0, va: 0x400000, kind: read, user: true, expect: {status: guest-fault, errorCode: "NP|U"}}
 * </pre>
 *
 * Every error names the file, line, column and field.
 */
public final class ScenarioReader {
  static final String FORMAT = "shadowref-scenario";
  private static final String[] CONTROL_NAMES = {"WP", "PSE", "PGE", "NXE", "SMEP", "SMAP", "AC"};

  // The bounds of the guest's numbers; examples/scenario.schema.json states the same ones, and
  // ScenarioSchemaTest holds the two together.
  /** The smallest {@code guest.maxPhysAddr} accepted (bits of physical address). */
  public static final int MIN_MAX_PHYS_ADDR = 32;
  /** The largest {@code guest.maxPhysAddr}: x86's architectural limit. */
  public static final int MAX_MAX_PHYS_ADDR = 52;
  /** The fewest guest RAM frames ({@code guest.ramFrames}). */
  public static final int MIN_RAM_FRAMES = 1;
  /** The most guest RAM frames: 256 MiB of 4 KiB frames, held in arrays. */
  public static final int MAX_RAM_FRAMES = 1 << 16;
  /**
   * A fault may need 8 shadow frames beyond the top-level shadows (the engines' chain reserve),
   * and a 2-on-3 top takes 4: fewer than 16 cannot run even one vCPU's first fault in every mode.
   * A guest that switches among many address spaces may need more; running out is reported then.
   */
  public static final int MIN_SHADOW_FRAMES = 16;
  /** The most shadow frames the engines' pools are given. */
  public static final int MAX_SHADOW_FRAMES = 1 << 16;
  /** The fewest vCPUs a scenario may have. */
  public static final int MIN_VCPUS = 1;
  /** The most vCPUs a scenario may have. */
  public static final int MAX_VCPUS = 16;

  private ScenarioReader() {}

  /**
   * Reads the scenario in {@code file}: YAML when its name ends {@code .yaml} or {@code .yml}, JSON
   * otherwise. Every error names the file, line, column and field.
   */
  public static Scenario read(Path file) throws TraceFormatException {
    String text = TraceReader.text(file, "scenario");
    String name = file.getFileName() == null ? "" : file.getFileName().toString().toLowerCase(Locale.ROOT);
    return read(text, file.toString(), name.endsWith(".yaml") || name.endsWith(".yml"));
  }

  /**
   * Reads a scenario from {@code text} (YAML or JSON); errors name {@code source} as the file. The
   * steps are turned into operations as they are parsed, so a long scenario costs the memory of
   * its operations, not of its syntax tree.
   */
  public static Scenario read(String text, String source, boolean yaml) throws TraceFormatException {
    JsonFactory factory = yaml ? new YAMLFactory() : new JsonFactory();
    Steps steps = new Steps();
    Node root = JsonTree.parse(factory, text, source, "steps", steps);
    Fields f = new Fields(root, "format", "version", "name", "case", "description", "guest", "steps");
    Node format = f.required("format");
    if (!FORMAT.equals(TraceReader.string(format))) {
      throw format.error("expected \"" + FORMAT + "\"");
    }
    TraceReader.integer(f.required("version"), 1, 1);
    String name = TraceReader.string(f.required("name"));
    String handlerCase = TraceReader.string(f.required("case"));
    Node description = f.optional("description");
    GuestSnapshot world = guest(f.required("guest"));
    TraceReader.array(f.required("steps"));
    Node highest = steps.highestVcpuStep;
    if (highest != null && steps.highestVcpu >= world.vcpus().size()) {
      throw highest.error("vcpu " + steps.highestVcpu + " does not exist: the guest has " + world.vcpus().size());
    }
    return new Scenario(name, description == null ? "" : TraceReader.string(description), handlerCase, world,
        steps.ops, steps.expectations);
  }

  /** Turns each step into an operation and its expectation as the parser reaches it. */
  private static final class Steps implements JsonTree.ItemSink {
    final List<GuestOp> ops = new ArrayList<>();
    final List<Scenario.Expectation> expectations = new ArrayList<>();
    // The guest may come after the steps in the file: the step with the highest vCPU is kept, to be
    // checked against the guest's vCPUs once they are known.
    int highestVcpu = -1;
    @Nullable Node highestVcpuStep;

    @Override
    public void accept(Node step) throws TraceFormatException {
      if (step.kind != Kind.OBJECT) {
        throw step.error("expected a step object, found " + step.describe());
      }
      Node expect = step.fields.remove("expect");
      GuestOp op = TraceReader.op(step);
      int vcpu = op instanceof GuestOp.Raced raced ? Math.max(op.vcpu(), raced.store().vcpu()) : op.vcpu();
      if (vcpu > highestVcpu) {
        highestVcpu = vcpu;
        highestVcpuStep = step;
      }
      ops.add(op);
      expectations.add(expect == null ? Scenario.Expectation.ANYTHING : expectation(expect));
    }
  }

  private static GuestSnapshot guest(Node node) throws TraceFormatException {
    Fields f = new Fields(node, "mode", "control", "maxPhysAddr", "ramFrames", "shadowFrames", "tablesFrom",
        "vcpus", "p2m", "mappings", "entries", "memory");
    Node modeNode = f.required("mode");
    // YAML 1.1 reads a bare off as false: take it as the word the author wrote.
    boolean bareOff = modeNode.kind == Kind.BOOLEAN && modeNode.text.equalsIgnoreCase("off");
    String modeName = bareOff ? "off" : TraceReader.string(modeNode);
    PagingMode mode = modeName.equals("off") ? null : PagingMode.fromCliName(modeName);
    if (mode == null && !modeName.equals("off")) {
      throw modeNode.error("unknown mode \"" + modeName + "\" (expected 2level, pae, 4level or off)");
    }
    int maxPhysAddr = optionalInt(f, "maxPhysAddr", 40, MIN_MAX_PHYS_ADDR, MAX_MAX_PHYS_ADDR);
    int ramFrames = optionalInt(f, "ramFrames", 64, MIN_RAM_FRAMES, MAX_RAM_FRAMES);
    int shadowFrames = optionalInt(f, "shadowFrames", 64, MIN_SHADOW_FRAMES, MAX_SHADOW_FRAMES);
    int tablesFrom = optionalInt(f, "tablesFrom", ramFrames / 2, 0, ramFrames - 1);
    int vcpuCount = optionalInt(f, "vcpus", 1, MIN_VCPUS, MAX_VCPUS);

    List<Node> p2mNodes = f.optional("p2m") == null ? List.of() : TraceReader.array(f.required("p2m"));
    int gfnCount = ramFrames;
    for (Node entry : p2mNodes) {
      Node gfn = new Fields(entry, "gfn", "type", "mfn").required("gfn");
      gfnCount = (int) Math.max(gfnCount, Math.min(TraceReader.number(gfn) + 1, 1 << 20));
    }
    MachineMemory machine = new MachineMemory(ramFrames + shadowFrames);
    P2m p2m = new P2m(gfnCount);
    for (int gfn = 0; gfn < ramFrames; gfn++) {
      p2m.mapRam(Addr.gfn(gfn), Addr.mfn(gfn), true);
    }
    for (Node entry : p2mNodes) {
      try {
        p2mEntry(entry, p2m, ramFrames);
      } catch (IllegalArgumentException e) {
        throw entry.error(String.valueOf(e.getMessage())); // the P2M's own limits: 52-bit gfns, the sparse frames
      }
    }
    GuestPhysicalMemory physical = new GuestPhysicalMemory(machine, p2m);
    ControlRegisters regs = mode == null ? ControlRegisters.pagingOff() : ControlRegisters.forMode(mode, 0);
    Node controlNode = f.optional("control");
    if (controlNode != null) {
      regs = control(controlNode, regs);
    }
    Map<Long, String> descriptions = new HashMap<>();
    if (mode != null) {
      int[] next = {tablesFrom};
      Node place = node;
      PageTableBuilder tables = new PageTableBuilder(physical, mode, () -> {
        if (next[0] >= ramFrames) {
          throw new IllegalStateException("page tables ran past ramFrames; lower tablesFrom or raise ramFrames");
        }
        return Addr.gfn(next[0]++);
      });
      regs = regs.withCr3(tables.root());
      try {
        mappings(f.optional("mappings"), tables, mode, maxPhysAddr, descriptions);
        entries(f.optional("entries"), tables, mode, descriptions);
      } catch (IllegalStateException e) {
        throw place.error(String.valueOf(e.getMessage()));
      }
    } else if (f.optional("mappings") != null || f.optional("entries") != null) {
      throw node.error("a guest with paging off has no page tables: drop mappings and entries");
    }
    Node memoryNode = f.optional("memory");
    if (memoryNode != null) {
      for (Node word : TraceReader.array(memoryNode)) {
        Fields w = new Fields(word, "gpa", "size", "value");
        long gpa = TraceReader.number(w.required("gpa"));
        int size = w.optional("size") == null ? 8 : TraceReader.integer(w.required("size"), 1, 8);
        if (physical.machineAddress(Addr.gpa(gpa)) < 0 || Addr.pageOffset(gpa) + size > Addr.PAGE_SIZE) {
          throw word.error("gpa " + Addr.hex(gpa) + " is not inside one frame of guest RAM");
        }
        machine.write(Addr.maddr(physical.machineAddress(Addr.gpa(gpa))), size, TraceReader.number(w.required("value")));
      }
    }
    Vcpu[] vcpus = new Vcpu[vcpuCount];
    for (int id = 0; id < vcpuCount; id++) {
      CpuState cpu = new CpuState(GuestSnapshot.cpuModeFor(regs));
      cpu.setRflags(regs.rflags());
      vcpus[id] = new Vcpu(id, regs, cpu);
    }
    GuestMachine guest = new GuestMachine(machine, p2m, new CpuModel(maxPhysAddr), vcpus, ramFrames);
    return GuestSnapshot.of(guest).describingWords(descriptions);
  }

  private static void p2mEntry(Node node, P2m p2m, int ramFrames) throws TraceFormatException {
    Fields f = new Fields(node, "gfn", "type", "mfn");
    @Gfn long gfn = Addr.gfn(TraceReader.number(f.required("gfn")));
    Node typeNode = f.required("type");
    String type = TraceReader.string(typeNode);
    Node mfnNode = f.optional("mfn");
    switch (type) {
      case "ram":
      case "ram-ro":
        long mfn = mfnNode == null ? gfn : TraceReader.number(mfnNode);
        if (mfn < 0 || mfn >= ramFrames) {
          throw node.error("mfn " + Addr.hex(mfn) + " is not a guest machine frame (0.." + Addr.hex(ramFrames - 1L) + ")");
        }
        p2m.mapRam(gfn, Addr.mfn(mfn), type.equals("ram"));
        return;
      case "mmio":
      case "absent":
        if (mfnNode != null) {
          throw mfnNode.error("a " + type + " frame has no mfn");
        }
        p2m.set(gfn, type.equals("mmio") ? P2mType.MMIO : P2mType.ABSENT, Addr.mfn(P2m.INVALID_MFN));
        return;
      default:
        throw typeNode.error("unknown P2M type \"" + type + "\" (expected ram, ram-ro, mmio or absent)");
    }
  }

  private static ControlRegisters control(Node node, ControlRegisters regs) throws TraceFormatException {
    ControlRegisters out = regs;
    for (Node item : TraceReader.array(node)) {
      String name = TraceReader.string(item);
      switch (name) {
        case "WP":
          out = out.with(0, ControlRegisters.CR0_WP, true);
          break;
        case "PSE":
          out = out.with(4, ControlRegisters.CR4_PSE, true);
          break;
        case "PGE":
          out = out.with(4, ControlRegisters.CR4_PGE, true);
          break;
        case "NXE":
          out = out.with(8, ControlRegisters.EFER_NXE, true);
          break;
        case "SMEP":
          out = out.with(4, ControlRegisters.CR4_SMEP, true);
          break;
        case "SMAP":
          out = out.with(4, ControlRegisters.CR4_SMAP, true);
          break;
        case "AC":
          out = out.with(9, ControlRegisters.RFLAGS_AC, true);
          break;
        default:
          throw item.error("unknown control bit \"" + name + "\" (expected one of " + String.join(", ", CONTROL_NAMES) + ")");
      }
    }
    return out;
  }

  private static void mappings(@Nullable Node node, PageTableBuilder tables, PagingMode mode, int maxPhysAddr,
      Map<Long, String> what) throws TraceFormatException {
    if (node == null) {
      return;
    }
    for (Node mapping : TraceReader.array(node)) {
      Fields f = new Fields(mapping, "va", "gpa", "level", "flags", "directory");
      long va = TraceReader.number(f.required("va"));
      int level = f.optional("level") == null ? 1 : TraceReader.integer(f.required("level"), 1, mode.levels());
      if (level > 1 && !mode.canMapLargePage(level, true)) {
        throw f.required("level").error("a " + mode.cliName() + " guest has no large pages at level " + level);
      }
      long gpa = TraceReader.number(f.required("gpa"));
      checkMapping(f, mode, level, va, gpa, maxPhysAddr);
      long flags = flags(f.required("flags"), "flags") | (level > 1 ? EntryBits.PS : 0);
      long directory = f.optional("directory") == null
          ? EntryBits.P | EntryBits.RW | EntryBits.US | EntryBits.A
          : flags(f.required("directory"), "directory");
      tables.map(Addr.gva(va), Addr.gpa(gpa), level, flags, directory);
      describePath(tables, mode, va, level, what);
    }
  }

  /**
   * A mapping's addresses must be what its entry can hold: va and gpa aligned to the page the level
   * maps (no silent rounding), va a linear address of the mode (below 4 GiB for 32-bit modes,
   * canonical for 4-level), gpa below 2^maxPhysAddr (below 4 GiB in a 32-bit entry).
   */
  private static void checkMapping(Fields f, PagingMode mode, int level, long va, long gpa, int maxPhysAddr)
      throws TraceFormatException {
    long pageSize = mode.pageSize(level);
    if ((va & (pageSize - 1)) != 0) {
      throw f.required("va").error("va " + Addr.hex(va) + " is not aligned to the " + pageSize(pageSize)
          + " page a level-" + level + " mapping maps (the offset would be dropped)");
    }
    if ((gpa & (pageSize - 1)) != 0) {
      throw f.required("gpa").error("gpa " + Addr.hex(gpa) + " is not aligned to the " + pageSize(pageSize)
          + " page a level-" + level + " mapping maps (the offset would be dropped)");
    }
    if (mode == PagingMode.FOUR_LEVEL) {
      if (va != ((va << 16) >> 16)) {
        throw f.required("va").error("va " + Addr.hex(va) + " is not canonical: bits 63..47 must all equal bit 47");
      }
    } else if ((va >>> 32) != 0) {
      throw f.required("va").error("va " + Addr.hex(va) + " is beyond the 4 GiB linear space of a " + mode.cliName() + " guest");
    }
    // A 32-bit entry addresses 4 GiB, but a 4 MiB PDE reaches 40 bits through PSE-36.
    int gpaBits = mode != PagingMode.TWO_LEVEL ? maxPhysAddr : level == 2 ? Math.min(40, maxPhysAddr) : 32;
    if (gpa < 0 || (gpa >>> gpaBits) != 0) {
      throw f.required("gpa").error("gpa " + Addr.hex(gpa) + " is beyond " + (mode == PagingMode.TWO_LEVEL
          ? "the " + (level == 2 ? "PSE-36 bits (" + gpaBits + ")" : "4 GiB") + " a 2level entry can address"
          : "maxPhysAddr (" + maxPhysAddr + " bits)"));
    }
  }

  private static String pageSize(long bytes) {
    return bytes >= 1L << 30 ? (bytes >> 30) + " GiB" : bytes >= 1L << 20 ? (bytes >> 20) + " MiB" : (bytes >> 10) + " KiB";
  }

  private static void entries(@Nullable Node node, PageTableBuilder tables, PagingMode mode, Map<Long, String> what)
      throws TraceFormatException {
    if (node == null) {
      return;
    }
    for (Node entry : TraceReader.array(node)) {
      Fields f = new Fields(entry, "va", "level", "value");
      long va = TraceReader.number(f.required("va"));
      int level = TraceReader.integer(f.required("level"), 1, mode.levels());
      if (tables.entryAddressFor(Addr.gva(va), level) < 0) {
        throw entry.error("no table reaches level " + level + " for va " + Addr.hex(va) + ": map it first");
      }
      tables.setEntry(Addr.gva(va), level, TraceReader.number(f.required("value")));
      describePath(tables, mode, va, level, what);
    }
  }

  private static void describePath(PageTableBuilder tables, PagingMode mode, long va, int leafLevel, Map<Long, String> what) {
    for (int level = mode.levels(); level >= leafLevel; level--) {
      long address = tables.entryAddressFor(Addr.gva(va), level);
      if (address >= 0) {
        what.putIfAbsent(address & ~7L, "L" + level + " entry for " + Addr.hex(va));
      }
    }
  }

  /** Flags as a list of names (P, RW, US, PWT, PCD, A, D, PS, G, PAT, NX) or a number. */
  private static long flags(Node node, String field) throws TraceFormatException {
    if (node.kind != Kind.ARRAY) {
      return TraceReader.number(node);
    }
    long out = 0;
    for (Node item : node.items) {
      String name = TraceReader.string(item);
      switch (name) {
        case "P": out |= EntryBits.P; break;
        case "RW": out |= EntryBits.RW; break;
        case "US": out |= EntryBits.US; break;
        case "PWT": out |= EntryBits.PWT; break;
        case "PCD": out |= EntryBits.PCD; break;
        case "A": out |= EntryBits.A; break;
        case "D": out |= EntryBits.D; break;
        case "PS": out |= EntryBits.PS; break;
        case "G": out |= EntryBits.G; break;
        case "PAT": out |= EntryBits.PAT_LARGE; break;
        case "NX": out |= EntryBits.NX; break;
        default:
          throw item.error("unknown " + field + " flag \"" + name + "\" (expected P, RW, US, PWT, PCD, A, D, PS, G, PAT or NX)");
      }
    }
    return out;
  }

  private static Scenario.Expectation expectation(Node node) throws TraceFormatException {
    Fields f = new Fields(node, "status", "address", "errorCode", "value");
    OpResult.Status status = TraceReader.status(f.required("status"));
    Node address = f.optional("address");
    Node errorCode = f.optional("errorCode");
    Node value = f.optional("value");
    return new Scenario.Expectation(
        status,
        address == null ? null : TraceReader.number(address),
        errorCode == null ? null : errorCode(errorCode),
        value == null ? null : TraceReader.number(value));
  }

  /** An error code as a number or as names joined by '|': NP or P, then W, U, RSVD, ID. */
  private static int errorCode(Node node) throws TraceFormatException {
    if (node.kind != Kind.STRING || node.text.startsWith("0x")) {
      return TraceReader.integer(node, 0, 0x1F);
    }
    int code = 0;
    for (String part : node.text.split("\\|", -1)) {
      switch (part.trim()) {
        case "NP": break;
        case "P": code |= PfErrorCode.P; break;
        case "W": code |= PfErrorCode.W; break;
        case "U": code |= PfErrorCode.U; break;
        case "RSVD": code |= PfErrorCode.RSVD; break;
        case "ID": code |= PfErrorCode.ID; break;
        default:
          throw node.error("unknown error-code bit \"" + part + "\" (write e.g. \"P|W|U\", \"NP|U\", \"P|RSVD\")");
      }
    }
    return code;
  }

  private static int optionalInt(Fields f, String name, int fallback, int min, int max) throws TraceFormatException {
    Node node = f.optional(name);
    return node == null ? fallback : TraceReader.integer(node, min, max);
  }
}
