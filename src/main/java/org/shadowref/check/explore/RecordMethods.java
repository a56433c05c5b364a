package org.shadowref.check.explore;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Handle;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.RecordComponentVisitor;

/**
 * Gives Java PathFinder records it can run. javac compiles a record's {@code equals}, {@code
 * hashCode} and {@code toString} to one {@code invokedynamic} bootstrapped by {@code
 * java.lang.runtime.ObjectMethods}, which stock jpf-core (java-17 branch) does not execute: the
 * model's thread stops silently and JPF reports "no errors" (issue 17). This rewrites each such
 * method, in a copy of the class files, as the plain code the bootstrap stands for: the same
 * results (equals by component, {@code Objects.equals} for references and {@code compare} for
 * floating point; hashCode as {@code 31 * h + hash(component)} from 0 with the wrappers'
 * hashCode; toString {@code Name[a=1, b=2]}). The sources stay idiomatic records; only the
 * classpath JPF reads ({@code shadowref jpf}) carries the copies.
 */
public final class RecordMethods {
  private static final String OBJECT_METHODS = "java/lang/runtime/ObjectMethods";

  private RecordMethods() {}

  /**
   * Writes into {@code out} a rewritten copy of every record class under {@code classes} whose
   * generated methods use the bootstrap; returns how many classes were rewritten.
   */
  public static int writePlainCopies(Path classes, Path out) throws IOException {
    List<Path> files;
    try (Stream<Path> walk = Files.walk(classes)) {
      files = walk.filter(f -> f.toString().endsWith(".class")).toList();
    }
    int rewritten = 0;
    for (Path file : files) {
      byte[] original = Files.readAllBytes(file);
      byte[] plain = plain(original);
      if (plain != original) {
        Path target = out.resolve(classes.relativize(file).toString());
        Path parent = target.getParent();
        if (parent != null) {
          Files.createDirectories(parent);
        }
        Files.write(target, plain);
        rewritten++;
      }
    }
    return rewritten;
  }

  /** The class with its bootstrapped record methods made plain; the same array when it has none. */
  public static byte[] plain(byte[] classFile) {
    Survey survey = new Survey();
    new ClassReader(classFile).accept(survey, ClassReader.SKIP_FRAMES);
    if (survey.bootstrapped.isEmpty()) {
      return classFile;
    }
    ClassWriter writer = new ClassWriter(ClassWriter.COMPUTE_FRAMES | ClassWriter.COMPUTE_MAXS) {
      @Override
      protected String getCommonSuperClass(String first, String second) {
        return "java/lang/Object"; // the generated code merges only the record and Object
      }
    };
    new ClassReader(classFile).accept(new Rewriter(writer, survey), 0);
    return writer.toByteArray();
  }

  /** A record component: its field's name and descriptor. */
  private record Component(String name, String descriptor) {}

  /** First pass: the class's name, its record components, and which methods use the bootstrap. */
  private static final class Survey extends ClassVisitor {
    String owner = "";
    final List<Component> components = new ArrayList<>();
    final Set<String> bootstrapped = new HashSet<>();

    Survey() {
      super(Opcodes.ASM9);
    }

    @Override
    public void visit(int version, int access, String name, String signature, String superName, String[] interfaces) {
      owner = name;
    }

    @Override
    public RecordComponentVisitor visitRecordComponent(String name, String descriptor, String signature) {
      components.add(new Component(name, descriptor));
      return new RecordComponentVisitor(Opcodes.ASM9) {};
    }

    @Override
    public MethodVisitor visitMethod(int access, String name, String descriptor, String signature, String[] exceptions) {
      String key = name + descriptor;
      return new MethodVisitor(Opcodes.ASM9) {
        @Override
        public void visitInvokeDynamicInsn(String indyName, String indyDescriptor, Handle bootstrap, Object... args) {
          if (bootstrap.getOwner().equals(OBJECT_METHODS)) {
            bootstrapped.add(key);
          }
        }
      };
    }
  }

  /** Second pass: copies the class, writing the bootstrapped methods anew. */
  private static final class Rewriter extends ClassVisitor {
    private final Survey survey;

    Rewriter(ClassVisitor next, Survey survey) {
      super(Opcodes.ASM9, next);
      this.survey = survey;
    }

    @Override
    public MethodVisitor visitMethod(int access, String name, String descriptor, String signature, String[] exceptions) {
      if (!survey.bootstrapped.contains(name + descriptor)) {
        return super.visitMethod(access, name, descriptor, signature, exceptions);
      }
      MethodVisitor code = super.visitMethod(access, name, descriptor, signature, exceptions);
      code.visitCode();
      switch (name) {
        case "equals" -> equalsBody(code);
        case "hashCode" -> hashCodeBody(code);
        case "toString" -> toStringBody(code);
        default -> throw new IllegalStateException(survey.owner + "." + name + " uses ObjectMethods");
      }
      code.visitMaxs(0, 0);
      code.visitEnd();
      return new MethodVisitor(Opcodes.ASM9) {}; // reads the original body and writes nothing of it
    }

    private void field(MethodVisitor code, int local, Component component) {
      code.visitVarInsn(Opcodes.ALOAD, local);
      code.visitFieldInsn(Opcodes.GETFIELD, survey.owner, component.name(), component.descriptor());
    }

    private void equalsBody(MethodVisitor code) {
      Label notSame = new Label();
      Label differ = new Label();
      code.visitVarInsn(Opcodes.ALOAD, 0);
      code.visitVarInsn(Opcodes.ALOAD, 1);
      code.visitJumpInsn(Opcodes.IF_ACMPNE, notSame);
      code.visitInsn(Opcodes.ICONST_1);
      code.visitInsn(Opcodes.IRETURN);
      code.visitLabel(notSame);
      code.visitVarInsn(Opcodes.ALOAD, 1);
      code.visitTypeInsn(Opcodes.INSTANCEOF, survey.owner);
      code.visitJumpInsn(Opcodes.IFEQ, differ);
      code.visitVarInsn(Opcodes.ALOAD, 1);
      code.visitTypeInsn(Opcodes.CHECKCAST, survey.owner);
      code.visitVarInsn(Opcodes.ASTORE, 2);
      for (Component component : survey.components) {
        field(code, 0, component);
        field(code, 2, component);
        switch (component.descriptor().charAt(0)) {
          case 'J' -> {
            code.visitInsn(Opcodes.LCMP);
            code.visitJumpInsn(Opcodes.IFNE, differ);
          }
          case 'F' -> {
            code.visitMethodInsn(Opcodes.INVOKESTATIC, "java/lang/Float", "compare", "(FF)I", false);
            code.visitJumpInsn(Opcodes.IFNE, differ);
          }
          case 'D' -> {
            code.visitMethodInsn(Opcodes.INVOKESTATIC, "java/lang/Double", "compare", "(DD)I", false);
            code.visitJumpInsn(Opcodes.IFNE, differ);
          }
          case 'L', '[' -> {
            code.visitMethodInsn(Opcodes.INVOKESTATIC, "java/util/Objects", "equals",
                "(Ljava/lang/Object;Ljava/lang/Object;)Z", false);
            code.visitJumpInsn(Opcodes.IFEQ, differ);
          }
          default -> code.visitJumpInsn(Opcodes.IF_ICMPNE, differ); // int, short, char, byte, boolean
        }
      }
      code.visitInsn(Opcodes.ICONST_1);
      code.visitInsn(Opcodes.IRETURN);
      code.visitLabel(differ);
      code.visitInsn(Opcodes.ICONST_0);
      code.visitInsn(Opcodes.IRETURN);
    }

    private void hashCodeBody(MethodVisitor code) {
      code.visitInsn(Opcodes.ICONST_0);
      for (Component component : survey.components) {
        code.visitIntInsn(Opcodes.BIPUSH, 31);
        code.visitInsn(Opcodes.IMUL);
        field(code, 0, component);
        String descriptor = component.descriptor();
        char kind = descriptor.charAt(0);
        if (kind == 'L' || kind == '[') {
          code.visitMethodInsn(Opcodes.INVOKESTATIC, "java/util/Objects", "hashCode", "(Ljava/lang/Object;)I", false);
        } else {
          code.visitMethodInsn(Opcodes.INVOKESTATIC, wrapper(kind), "hashCode", "(" + descriptor + ")I", false);
        }
        code.visitInsn(Opcodes.IADD);
      }
      code.visitInsn(Opcodes.IRETURN);
    }

    private void toStringBody(MethodVisitor code) {
      String simpleName = survey.owner.substring(Math.max(survey.owner.lastIndexOf('/'), survey.owner.lastIndexOf('$')) + 1);
      code.visitTypeInsn(Opcodes.NEW, "java/lang/StringBuilder");
      code.visitInsn(Opcodes.DUP);
      code.visitLdcInsn(simpleName + "[");
      code.visitMethodInsn(Opcodes.INVOKESPECIAL, "java/lang/StringBuilder", "<init>", "(Ljava/lang/String;)V", false);
      for (int i = 0; i < survey.components.size(); i++) {
        Component component = survey.components.get(i);
        code.visitLdcInsn((i == 0 ? "" : ", ") + component.name() + "=");
        append(code, "Ljava/lang/String;");
        field(code, 0, component);
        char kind = component.descriptor().charAt(0);
        append(code, kind == 'L' || kind == '[' ? "Ljava/lang/Object;"
            : kind == 'B' || kind == 'S' ? "I" : component.descriptor());
      }
      code.visitLdcInsn("]");
      append(code, "Ljava/lang/String;");
      code.visitMethodInsn(Opcodes.INVOKEVIRTUAL, "java/lang/StringBuilder", "toString", "()Ljava/lang/String;", false);
      code.visitInsn(Opcodes.ARETURN);
    }

    private static void append(MethodVisitor code, String descriptor) {
      code.visitMethodInsn(Opcodes.INVOKEVIRTUAL, "java/lang/StringBuilder", "append",
          "(" + descriptor + ")Ljava/lang/StringBuilder;", false);
    }

    private static String wrapper(char kind) {
      return switch (kind) {
        case 'J' -> "java/lang/Long";
        case 'F' -> "java/lang/Float";
        case 'D' -> "java/lang/Double";
        case 'Z' -> "java/lang/Boolean";
        case 'B' -> "java/lang/Byte";
        case 'S' -> "java/lang/Short";
        case 'C' -> "java/lang/Character";
        default -> "java/lang/Integer";
      };
    }
  }
}
