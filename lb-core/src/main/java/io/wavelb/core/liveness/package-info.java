/**
 * Process liveness, plain Java: per-event-loop heartbeats and the stall decision that
 * {@code /healthz}, the systemd watchdog and the container HEALTHCHECK follow.
 */
package io.wavelb.core.liveness;
