/** Shadow entry encodings: how guest entries become shadow entries. Pure functions. */
package org.shadowref.shadow.entry;
