/**
 * The architecture: paging modes, entry layouts, control registers, reserved bits, #PF error
 * codes, and the typed-address doors ({@link org.shadowref.arch.Addr}). Depends on nothing.
 */
package org.shadowref.arch;
