/**
 * systemd integration: the sd_notify protocol (readiness, reload, stop, watchdog, status) and socket
 * activation (the listening sockets passed in {@code LISTEN_FDS}).
 */
package io.wavelb.core.systemd;
