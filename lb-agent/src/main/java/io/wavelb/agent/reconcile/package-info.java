/** Reconcile decisions without I/O: stale peers, readiness coupling, backoff, request budget. Pure. */
package io.wavelb.agent.reconcile;
