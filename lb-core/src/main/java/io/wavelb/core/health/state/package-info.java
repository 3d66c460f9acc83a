/** Health decisions without I/O: probe results, the rise/fall state machine, outlier detection. Pure: no Netty. */
package io.wavelb.core.health.state;
