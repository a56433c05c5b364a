/**
 * The x86 instruction emulator a shadowing hypervisor needs for guest stores to write-protected
 * page tables, and the independent executor that judges it.
 */
package org.shadowref.emulate;
