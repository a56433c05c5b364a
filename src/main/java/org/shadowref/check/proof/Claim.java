package org.shadowref.check.proof;

import com.microsoft.z3.BoolExpr;
import java.util.List;

/**
 * One proof obligation: under {@code assumptions}, {@code goal} holds for every value of the
 * unknowns. Z3 is asked for a model of the assumptions with the goal false: none means proved;
 * one is a counterexample, printed through {@code shown}. Assumptions no input satisfies would
 * make any goal "proved", so they are checked for a model first.
 */
public record Claim(String name, BoolExpr assumptions, BoolExpr goal, List<Shown> shown) {}
