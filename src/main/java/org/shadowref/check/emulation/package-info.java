/**
 * The emulator's differential check: random instructions of the emulated subset, run by the
 * hypervisor's {@link org.shadowref.emulate.X86Emulator} and the independent {@link
 * org.shadowref.emulate.SdmExecutor} against identical small guests, compared.
 */
package org.shadowref.check.emulation;
