/** Machine frames, the P2M and its frame types, and guest-physical memory seen through the P2M. */
package org.shadowref.memory;
