/** Feeding the balancer: its admin API as the agent uses it. */
package io.wavelb.agent.feed;
