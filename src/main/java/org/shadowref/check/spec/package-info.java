/**
 * What shadow entries must be, written apart from the engines: a specification of propagation
 * from the Intel SDM and the handler's documented flow, which the invariant predicates judge the
 * engines against. Nothing here calls the engines' derivation ({@code Derivation}, {@code
 * Propagation}, {@code MagicEntries}, {@code ShadowType}); it reads the architecture ({@code
 * org.shadowref.arch}), guest memory and the P2M, and the raw facts an engine reports about its
 * shadow tables ({@link org.shadowref.shadow.invariant.ShadowTable}).
 */
package org.shadowref.check.spec;
