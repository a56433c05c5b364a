/**
 * The MMU: the page walker (used as the native oracle, as the hardware on shadow tables, and
 * as the engines' guest walk), walk results, and the observable outcome of an access.
 */
package org.shadowref.mmu;
