/**
 * Machine-checked lemmas about the entry encodings: the bit-level functions of {@code
 * shadow.entry} and {@code arch.ReservedBits}, run on {@link org.shadowref.check.proof.Z3Bits}
 * so that Z3 sees the very code the engines run, proved for all 64-bit inputs. Each lemma also
 * carries deliberately broken variants of its functions, which Z3 must refute with a
 * counterexample. {@code ./shadowref prove} runs them and writes proofs/.
 */
package org.shadowref.check.proof;
