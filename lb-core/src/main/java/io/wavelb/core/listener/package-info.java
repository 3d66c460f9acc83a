/** What UDP and TCP listeners have in common: the listener contract, bind errors, rate-limited warnings. */
package io.wavelb.core.listener;
