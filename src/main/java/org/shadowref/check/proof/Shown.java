package org.shadowref.check.proof;

import com.microsoft.z3.BitVecNum;
import com.microsoft.z3.BoolExpr;
import com.microsoft.z3.Expr;
import com.microsoft.z3.Model;
import java.util.function.LongFunction;
import org.shadowref.arch.Addr;

/** One value a counterexample prints: a named term, evaluated in the model, in a readable form. */
public final class Shown {
  private final String name;
  private final Expr<?> term;
  private final LongFunction<String> format;

  private Shown(String name, Expr<?> term, LongFunction<String> format) {
    this.name = name;
    this.term = term;
    this.format = format;
  }

  /** A vector, printed in hex (entries, masks). */
  public static Shown hex(String name, Z3Bits z3, long handle) {
    return new Shown(name, z3.term(handle), Addr::hex);
  }

  /** A vector, printed through {@code format} (enum ordinals, widths, error codes). */
  public static Shown of(String name, Z3Bits z3, long handle, LongFunction<String> format) {
    return new Shown(name, z3.term(handle), format);
  }

  /** A Boolean unknown, printed as true/false. */
  public static Shown flag(String name, BoolExpr truth) {
    return new Shown(name, truth, value -> value != 0 ? "true" : "false");
  }

  /** {@code name=value}, the value the model gives (model completion fills in don't-cares). */
  String render(Model model) {
    Expr<?> value = model.eval(term, true);
    long raw;
    if (value.isTrue()) {
      raw = 1;
    } else if (value.isFalse()) {
      raw = 0;
    } else {
      raw = ((BitVecNum) value).getBigInteger().longValue();
    }
    return name + "=" + format.apply(raw);
  }
}
