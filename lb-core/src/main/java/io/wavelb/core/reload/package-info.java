/** Hot reload decisions: what a new config keeps, adds and removes. Pure: no Netty. */
package io.wavelb.core.reload;
