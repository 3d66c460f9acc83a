/** systemd integration: the sd_notify protocol (readiness, reload, stop, watchdog, status). */
package io.wavelb.core.systemd;
