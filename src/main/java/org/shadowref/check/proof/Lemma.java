package org.shadowref.check.proof;

import com.microsoft.z3.Model;
import com.microsoft.z3.Params;
import com.microsoft.z3.Solver;
import java.util.ArrayList;
import java.util.List;

/**
 * A lemma about some functions written over the bit algebra. {@code S} is the shape of those
 * functions: the lemma is stated once, then checked against the code ({@link #code()}) and
 * against each broken variant, so a variant's refutation shows the lemma can fail.
 */
public abstract class Lemma<S> {
  /** Each claim gets this long before Z3's answer counts as unknown. */
  private static final int CLAIM_TIMEOUT_MS = 30_000;

  /** The page name in proofs/ and the row name in {@code ./shadowref prove}. */
  public abstract String id();

  public abstract String title();

  /** The statement, in Markdown: what holds, for which inputs, under which preconditions. */
  public abstract String statement();

  /** Why an engine or a reader cares, in Markdown. */
  public abstract String whyItMatters();

  /** The methods whose algebra form the lemma runs, as {@code Class.method} names. */
  public abstract List<String> codeProved();

  /** The functions as the engines run them. */
  public abstract S code();

  public abstract List<Variant<S>> brokenVariants();

  /** The lemma's obligations about {@code subject}, built in {@code z3}. */
  protected abstract List<Claim> claims(Z3Bits z3, S subject);

  /** Asks Z3 about every claim for {@code subject}. */
  public final Verdict check(S subject) {
    long start = System.nanoTime();
    List<ClaimAnswer> results = new ArrayList<>();
    try (Z3Bits z3 = new Z3Bits()) {
      for (Claim claim : claims(z3, subject)) {
        results.add(solve(z3, claim));
      }
    }
    return new Verdict(results, (System.nanoTime() - start) / 1_000_000);
  }

  private static ClaimAnswer solve(Z3Bits z3, Claim claim) {
    long start = System.nanoTime();
    Solver solver = z3.context().mkSolver();
    Params params = z3.context().mkParams();
    params.add("timeout", CLAIM_TIMEOUT_MS);
    solver.setParameters(params);
    solver.add(claim.assumptions());
    com.microsoft.z3.Status satisfiable = solver.check();
    if (satisfiable != com.microsoft.z3.Status.SATISFIABLE) {
      long millis = (System.nanoTime() - start) / 1_000_000;
      Status status =
          satisfiable == com.microsoft.z3.Status.UNSATISFIABLE ? Status.VACUOUS : Status.UNKNOWN;
      return new ClaimAnswer(claim.name(), status, millis, "");
    }
    solver.add(z3.context().mkNot(claim.goal()));
    com.microsoft.z3.Status answer = solver.check();
    long millis = (System.nanoTime() - start) / 1_000_000;
    switch (answer) {
      case UNSATISFIABLE:
        return new ClaimAnswer(claim.name(), Status.PROVED, millis, "");
      case SATISFIABLE:
        return new ClaimAnswer(
            claim.name(), Status.REFUTED, millis, counterexample(solver.getModel(), claim));
      default:
        return new ClaimAnswer(claim.name(), Status.UNKNOWN, millis, "");
    }
  }

  private static String counterexample(Model model, Claim claim) {
    StringBuilder out = new StringBuilder();
    for (Shown shown : claim.shown()) {
      if (out.length() > 0) {
        out.append(' ');
      }
      out.append(shown.render(model));
    }
    return out.toString();
  }
}
