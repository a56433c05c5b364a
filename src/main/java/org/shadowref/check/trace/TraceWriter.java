package org.shadowref.check.trace;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.MinimalPrettyPrinter;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.shadowref.arch.Addr;
import org.shadowref.arch.PagingMode;
import org.shadowref.emulate.CpuState;
import org.shadowref.memory.P2mType;
import org.shadowref.shadow.GuestOp;
import org.shadowref.shadow.OpResult;

/**
 * Writes trace files. The format, version 1 (every address, register and value is a hex string
 * such as {@code "0x1000"}; the reader also takes plain JSON integers):
 *
 * <pre>
 * {
 *   "format": "shadowref-trace", "version": 1,
 *   "world": {                                   // optional when there are no ops
 *     "mode": "4level",                          // optional; checked against vcpus[0]
 *     "maxPhysAddr": 40, "machineFrames": 32, "guestFrameLimit": 16, "gfnCount": 16,
 *     "p2m":    [ {"gfn": "0x1", "type": "ram", "mfn": "0x1"}, {"gfn": "0x9", "type": "mmio"} ],
 *     "memory": [ {"gpa": "0x1000", "value": "0x2007", "size": 8, "what": "L4 entry"} ],
 *     "vcpus":  [ {"cr0": "0x80010001", "cr3": "0x1000", "cr4": "0x20", "efer": "0x500",
 *                  "rflags": "0x0", "cpuMode": "64-bit", "gprs": [16 values]} ]
 *   },
 *   "ops": [
 *     {"op": "access", "vcpu": 0, "va": "0x400000", "kind": "write", "user": true, "size": 8, "value": "0x1"},
 *     {"op": "execute", "vcpu": 0, "code": "48890b", "user": false, "gprs": [16 values]},
 *     {"op": "load-cr3", "vcpu": 0, "cr3": "0x1000"}, {"op": "invlpg", "vcpu": 0, "va": "0x400000"},
 *     {"op": "flush", "vcpu": 0},
 *     {"op": "set-control", "vcpu": 0, "cr0": "0x80010001", "cr4": "0x20", "efer": "0x500", "rflags": "0x0"}
 *   ],
 *   "expected": [ {"status": "guest-fault", "address": "0x400000", "errorCode": 7} ],   // optional
 *   "origin": {"model": "NativeWalk", "args": "depth=1", "property": "...", "detail": "...",
 *              "choices": [[0, 1], [2]]}                                               // optional
 * }
 * </pre>
 *
 * P2M types are {@code ram}, {@code ram-ro}, {@code mmio}, {@code absent}; statuses {@code ok},
 * {@code guest-fault}, {@code mmio}, {@code unmapped-gfn}, {@code invalid}. Optional register
 * fields default to 0, {@code size} to 8, {@code cpuMode} to what EFER.LMA says.
 */
public final class TraceWriter {
  private TraceWriter() {}

  public static void write(TraceFile trace, Path file) throws IOException {
    Files.write(file, toJson(trace).getBytes(StandardCharsets.UTF_8));
  }

  public static String toJson(TraceFile trace) {
    StringWriter out = new StringWriter();
    try (JsonGenerator json = new JsonFactory().createGenerator(out)) {
      DefaultPrettyPrinter pretty = new DefaultPrettyPrinter();
      pretty.indentArraysWith(DefaultIndenter.SYSTEM_LINEFEED_INSTANCE);
      json.setPrettyPrinter(pretty);
      json.writeStartObject();
      json.writeStringField("format", TraceReader.FORMAT);
      json.writeNumberField("version", TraceReader.VERSION);
      GuestSnapshot world = trace.world();
      if (world != null) {
        json.writeFieldName("world");
        writeWorld(json, world);
      }
      json.writeArrayFieldStart("ops");
      for (GuestOp op : trace.ops()) {
        json.writeRawValue(line(op));
      }
      json.writeEndArray();
      List<OpResult> expected = trace.expected();
      if (expected != null) {
        json.writeArrayFieldStart("expected");
        for (OpResult result : expected) {
          json.writeRawValue(line(result));
        }
        json.writeEndArray();
      }
      TraceFile.Origin origin = trace.origin();
      if (origin != null) {
        json.writeObjectFieldStart("origin");
        json.writeStringField("model", origin.model());
        json.writeStringField("args", origin.args());
        json.writeStringField("property", origin.property());
        json.writeStringField("detail", origin.detail());
        json.writeArrayFieldStart("choices");
        for (int[] step : origin.choices()) {
          StringBuilder answers = new StringBuilder("[");
          for (int i = 0; i < step.length; i++) {
            answers.append(i == 0 ? "" : ", ").append(step[i]);
          }
          json.writeRawValue(answers.append(']').toString());
        }
        json.writeEndArray();
        json.writeEndObject();
      }
      json.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException("writing to a string cannot fail", e);
    }
    return out.toString() + "\n";
  }

  private static void writeWorld(JsonGenerator json, GuestSnapshot world) throws IOException {
    json.writeStartObject();
    PagingMode mode = world.mode();
    json.writeStringField("mode", mode == null ? "off" : mode.cliName());
    json.writeNumberField("maxPhysAddr", world.maxPhysAddr());
    json.writeNumberField("machineFrames", world.machineFrames());
    json.writeNumberField("guestFrameLimit", world.guestFrameLimit());
    json.writeNumberField("gfnCount", world.gfnCount());
    json.writeArrayFieldStart("p2m");
    for (GuestSnapshot.P2mEntry entry : world.p2m()) {
      json.writeRawValue(
          inline(gen -> {
            gen.writeStartObject();
            gen.writeStringField("gfn", Addr.hex(entry.gfn()));
            gen.writeStringField("type", p2mTypeName(entry.type()));
            if (entry.type().isRam()) {
              gen.writeStringField("mfn", Addr.hex(entry.mfn()));
            }
            gen.writeEndObject();
          }));
    }
    json.writeEndArray();
    json.writeArrayFieldStart("memory");
    for (GuestSnapshot.MemoryWord word : world.memory()) {
      json.writeRawValue(
          inline(gen -> {
            gen.writeStartObject();
            gen.writeStringField("gpa", Addr.hex(word.gpa()));
            gen.writeStringField("value", Addr.hex(word.value()));
            if (word.size() != 8) {
              gen.writeNumberField("size", word.size());
            }
            if (!word.what().isEmpty()) {
              gen.writeStringField("what", word.what());
            }
            gen.writeEndObject();
          }));
    }
    json.writeEndArray();
    json.writeArrayFieldStart("vcpus");
    for (GuestSnapshot.VcpuState vcpu : world.vcpus()) {
      json.writeRawValue(
          inline(gen -> {
            gen.writeStartObject();
            gen.writeStringField("cr0", Addr.hex(vcpu.regs().cr0()));
            gen.writeStringField("cr3", Addr.hex(vcpu.regs().cr3()));
            gen.writeStringField("cr4", Addr.hex(vcpu.regs().cr4()));
            gen.writeStringField("efer", Addr.hex(vcpu.regs().efer()));
            gen.writeStringField("rflags", Addr.hex(vcpu.regs().rflags()));
            gen.writeStringField("cpuMode", cpuModeName(vcpu.cpuMode()));
            writeRegisters(gen, vcpu.gprs());
            gen.writeEndObject();
          }));
    }
    json.writeEndArray();
    json.writeEndObject();
  }

  /** One operation as a single-line JSON object. */
  public static String line(GuestOp op) {
    return inline(
        gen -> {
          gen.writeStartObject();
          if (op instanceof GuestOp.MemoryAccess access) {
            writeAccess(gen, access);
          } else if (op instanceof GuestOp.Raced raced) {
            writeAccess(gen, raced.access());
            GuestOp.MemoryAccess store = raced.store();
            gen.writeObjectFieldStart("racedBy");
            gen.writeNumberField("vcpu", store.vcpu());
            gen.writeStringField("va", Addr.hex(store.va()));
            gen.writeBooleanField("user", store.user());
            gen.writeNumberField("size", store.size());
            gen.writeStringField("value", Addr.hex(store.value()));
            gen.writeEndObject();
          } else if (op instanceof GuestOp.Execute execute) {
            gen.writeStringField("op", "execute");
            gen.writeNumberField("vcpu", op.vcpu());
            StringBuilder code = new StringBuilder();
            for (byte b : execute.code()) {
              code.append(String.format("%02x", b & 0xFF));
            }
            gen.writeStringField("code", code.toString());
            gen.writeBooleanField("user", execute.user());
            writeRegisters(gen, execute.gprs());
          } else if (op instanceof GuestOp.LoadCr3 load) {
            gen.writeStringField("op", "load-cr3");
            gen.writeNumberField("vcpu", op.vcpu());
            gen.writeStringField("cr3", Addr.hex(load.cr3()));
          } else if (op instanceof GuestOp.Invlpg invlpg) {
            gen.writeStringField("op", "invlpg");
            gen.writeNumberField("vcpu", op.vcpu());
            gen.writeStringField("va", Addr.hex(invlpg.va()));
          } else if (op instanceof GuestOp.FlushTlb) {
            gen.writeStringField("op", "flush");
            gen.writeNumberField("vcpu", op.vcpu());
          } else if (op instanceof GuestOp.SetP2m change) {
            gen.writeStringField("op", "p2m");
            gen.writeNumberField("vcpu", op.vcpu());
            gen.writeStringField("gfn", Addr.hex(change.gfn()));
            gen.writeStringField("type", p2mTypeName(change.type()));
            if (change.type().isRam()) {
              gen.writeStringField("mfn", Addr.hex(change.mfn()));
            }
            if (change.copy()) {
              gen.writeBooleanField("copy", true);
            }
          } else if (op instanceof GuestOp.LogDirty log) {
            gen.writeStringField("op", "log-dirty");
            gen.writeNumberField("vcpu", op.vcpu());
            gen.writeStringField("action", log.action().cliName());
          } else {
            GuestOp.SetControl control = (GuestOp.SetControl) op;
            gen.writeStringField("op", "set-control");
            gen.writeNumberField("vcpu", op.vcpu());
            gen.writeStringField("cr0", Addr.hex(control.cr0()));
            gen.writeStringField("cr4", Addr.hex(control.cr4()));
            gen.writeStringField("efer", Addr.hex(control.efer()));
            gen.writeStringField("rflags", Addr.hex(control.rflags()));
          }
          gen.writeEndObject();
        });
  }

  private static void writeAccess(JsonGenerator gen, GuestOp.MemoryAccess access) throws IOException {
    gen.writeStringField("op", "access");
    gen.writeNumberField("vcpu", access.vcpu());
    gen.writeStringField("va", Addr.hex(access.va()));
    gen.writeStringField("kind", access.kind().name().toLowerCase(Locale.ROOT));
    gen.writeBooleanField("user", access.user());
    gen.writeNumberField("size", access.size());
    if (access.kind() == org.shadowref.arch.AccessKind.WRITE) {
      gen.writeStringField("value", Addr.hex(access.value()));
    }
  }

  /** One result as a single-line JSON object. */
  public static String line(OpResult result) {
    return inline(
        gen -> {
          gen.writeStartObject();
          gen.writeStringField("status", statusName(result.status()));
          gen.writeStringField("address", Addr.hex(result.address()));
          gen.writeNumberField("errorCode", result.errorCode());
          gen.writeStringField("value", Addr.hex(result.value()));
          if (!result.detail().isEmpty()) {
            gen.writeStringField("detail", result.detail());
          }
          gen.writeEndObject();
        });
  }

  static String p2mTypeName(P2mType type) {
    return type.name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  static String cpuModeName(CpuState.Mode mode) {
    return mode == CpuState.Mode.LONG_64 ? "64-bit" : "32-bit";
  }

  static String statusName(OpResult.Status status) {
    return status.name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /** General registers, left out when all are zero (the reader's default). */
  private static void writeRegisters(JsonGenerator gen, long[] values) throws IOException {
    boolean any = false;
    for (long value : values) {
      any |= value != 0;
    }
    if (!any) {
      return;
    }
    gen.writeArrayFieldStart("gprs");
    for (long value : values) {
      gen.writeString(Addr.hex(value));
    }
    gen.writeEndArray();
  }

  /** Something that writes one JSON value. */
  private interface Content {
    void writeTo(JsonGenerator gen) throws IOException;
  }

  /** A value on one line, with a space after each colon and comma, to nest in a pretty document. */
  private static String inline(Content content) {
    StringWriter out = new StringWriter();
    try (JsonGenerator gen = new JsonFactory().createGenerator(out)) {
      gen.setPrettyPrinter(new OneLine());
      content.writeTo(gen);
    } catch (IOException e) {
      throw new UncheckedIOException("writing to a string cannot fail", e);
    }
    return out.toString();
  }

  private static final class OneLine extends MinimalPrettyPrinter {
    private static final long serialVersionUID = 1L;

    @Override
    public void writeObjectFieldValueSeparator(JsonGenerator gen) throws IOException {
      gen.writeRaw(": ");
    }

    @Override
    public void writeObjectEntrySeparator(JsonGenerator gen) throws IOException {
      gen.writeRaw(", ");
    }

    @Override
    public void writeArrayValueSeparator(JsonGenerator gen) throws IOException {
      gen.writeRaw(", ");
    }
  }
}
