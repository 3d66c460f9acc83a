/**
 * Overload decisions: measured pressure (direct memory used against the budget) in, actions out
 * (shorten idle timeouts, stop taking new flows, close the connections holding the most buffered
 * bytes), with thresholds and hysteresis, after Envoy's overload manager. Pure: no Netty; the
 * control tick feeds it and the data plane reads the published {@link io.wavelb.core.overload.OverloadState}.
 */
package io.wavelb.core.overload;
