/** Running the same operations on several platforms and judging them against native. */
package org.shadowref.check.diff;
