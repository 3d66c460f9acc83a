/**
 * Per-event-loop UDP session bookkeeping: the session table (flow key to session, index per
 * target, idle expiry by sweep) and the listener-wide session cap. Pure Java: no Netty, no AWS.
 */
package io.wavelb.core.session;
