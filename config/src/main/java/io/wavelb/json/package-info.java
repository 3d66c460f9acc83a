/**
 * The project's one JSON codec: a small strict reader (offsets in errors, depth-limited, duplicate
 * keys refused unless asked otherwise) and writer of plain maps, lists and scalars. It lives in the
 * config module because both lb-core (the admin API) and lb-agent (its admin client, EventBridge
 * events) depend on that module, and the agent must not depend on lb-core. Pure: no Netty, no AWS.
 */
package io.wavelb.json;
