/** The domain shrinker every differential failure goes through before it is reported. */
package org.shadowref.check.shrink;
