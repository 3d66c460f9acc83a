/**
 * The admin HTTP endpoint (its own event loop) and the {@code AdminOperations} contract the balancer
 * implements: readiness, target views, dynamic targets, drains, reload. The endpoint only checks and
 * translates requests; bearer-token auth for every mutating call.
 */
package io.wavelb.core.admin;
