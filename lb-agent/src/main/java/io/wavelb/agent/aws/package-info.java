/** The AWS edge: SDK clients and the adapters that turn SDK model objects into the agent's records. */
package io.wavelb.agent.aws;
