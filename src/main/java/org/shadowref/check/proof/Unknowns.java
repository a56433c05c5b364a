package org.shadowref.check.proof;

import com.microsoft.z3.BitVecExpr;
import com.microsoft.z3.BoolExpr;
import com.microsoft.z3.Context;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.shadowref.arch.Addr;
import org.shadowref.arch.EntryBits;
import org.shadowref.memory.P2mType;

/** Helpers the lemmas share for building unknowns, tables and readable counterexamples. */
final class Unknowns {
  private Unknowns() {}

  /** A Boolean unknown and the condition handle that stands for it. */
  record Flag(BoolExpr truth, long condition) {
    static Flag named(Z3Bits z3, String name) {
      BoolExpr truth = z3.context().mkBoolConst(name);
      return new Flag(truth, z3.conditionOf(truth));
    }

    Shown shown(String name) {
      return Shown.flag(name, truth);
    }
  }

  /** The Boolean that {@code mask}'s bits are all set in {@code x}. */
  static BoolExpr allSet(Z3Bits z3, long x, long mask) {
    return z3.holds(z3.allSet(x, mask));
  }

  static BoolExpr anySet(Z3Bits z3, long x, long mask) {
    return z3.holds(z3.anySet(x, mask));
  }

  /** {@code low <= x <= high}, unsigned. */
  static BoolExpr within(Z3Bits z3, long x, long low, long high) {
    Context c = z3.context();
    return c.mkAnd(c.mkNot(z3.below(x, low)), z3.below(x, high + 1));
  }

  /** An entry printed as hex and its flag names. */
  static String entry(long value) {
    return Addr.hex(value) + "(" + EntryBits.describe(value) + ")";
  }

  static String p2mType(long ordinal) {
    P2mType[] types = P2mType.values();
    return ordinal >= 0 && ordinal < types.length ? types[(int) ordinal].name() : "#" + ordinal;
  }

  /**
   * A concrete Java function of some Boolean unknowns, as a Z3 term: the decision tree over every
   * assignment, each leaf the function's value there. Exact, because it is exhaustive.
   */
  static long table(Z3Bits z3, List<BoolExpr> unknowns, Function<boolean[], Long> function) {
    return z3.handle(tree(z3, unknowns, function, new boolean[unknowns.size()], 0));
  }

  private static BitVecExpr tree(
      Z3Bits z3,
      List<BoolExpr> unknowns,
      Function<boolean[], Long> function,
      boolean[] assignment,
      int next) {
    if (next == unknowns.size()) {
      return z3.vector(function.apply(assignment));
    }
    assignment[next] = true;
    BitVecExpr ifTrue = tree(z3, unknowns, function, assignment, next + 1);
    assignment[next] = false;
    BitVecExpr ifFalse = tree(z3, unknowns, function, assignment, next + 1);
    return z3.ite(unknowns.get(next), ifTrue, ifFalse);
  }

  static List<BoolExpr> list(BoolExpr... unknowns) {
    List<BoolExpr> out = new ArrayList<>();
    for (BoolExpr unknown : unknowns) {
      out.add(unknown);
    }
    return out;
  }
}
