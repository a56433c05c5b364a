/**
 * A small algebra of 64-bit vectors in which the bit-level functions of shadow paging are
 * written once and read two ways: {@link org.shadowref.arch.bits.ConcreteBits} computes with
 * plain {@code long}s (what the engines run), and the prover in {@code check.proof} builds Z3
 * bit-vector terms from the very same code (what proofs/ proves).
 */
package org.shadowref.arch.bits;
