/**
 * Type qualifiers that keep the address spaces apart. All addresses are {@code long}s at run
 * time; the Subtyping Checker makes passing one kind where another is expected a compile
 * error, as Xen's {@code gfn_t}/{@code mfn_t} do in C.
 */
package org.shadowref.arch.qual;
