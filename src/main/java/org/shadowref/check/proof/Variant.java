package org.shadowref.check.proof;

/** A deliberately broken version of a lemma's functions, which the lemma must refute. */
public record Variant<S>(String description, S subject) {}
