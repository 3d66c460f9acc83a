/**
 * This instance's identity: the pure resolution rules (configured values win; the Carrier IP before
 * the public IP). The IMDSv2 and EC2 look-ups behind {@link io.wavelb.agent.identity.Identity.Sources}
 * live in {@code io.wavelb.agent.aws}.
 */
package io.wavelb.agent.identity;
