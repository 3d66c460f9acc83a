package io.wavelb.agent.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wavelb.agent.testing.ImdsServer;
import io.wavelb.config.AgentConfig;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class IdentityTest {

    static final Map<String, String> METADATA = Map.of("instance-id", "i-0abc", "placement/availability-zone",
            "us-east-1-wl1-bos-wlz-1", "local-ipv4", "10.0.1.5", "public-ipv4", "155.146.10.99");

    @Test
    void learnsEverythingFromImdsV2WithAToken() throws Exception {
        try (ImdsServer imds = new ImdsServer(METADATA)) {
            Identity me = Identity.resolve(AgentConfig.Identity.LEARNED, Optional.of(imds.endpoint()));
            assertThat(me).isEqualTo(new Identity("i-0abc", "us-east-1-wl1-bos-wlz-1", "us-east-1-wl1-bos-wlz-1",
                    "10.0.1.5", "155.146.10.99"));
            assertThat(imds.tokenRequests.get()).as("one token for every read").isEqualTo(1);
        }
    }

    @Test
    void configuredValuesWinAndEc2sCarrierIpBeatsImds() throws Exception {
        try (ImdsServer imds = new ImdsServer(METADATA)) {
            AgentConfig.Identity partial = new AgentConfig.Identity(Optional.of("i-static"), Optional.empty(), Optional.empty(),
                    Optional.of("10.9.9.9"), Optional.empty());
            Identity me = Identity.resolve(partial, Optional.of(imds.endpoint()),
                    id -> id.equals("i-static") ? Optional.of("155.146.10.20") : Optional.empty());
            assertThat(me.instanceId()).isEqualTo("i-static");
            assertThat(me.privateIp()).isEqualTo("10.9.9.9");
            assertThat(me.zone()).isEqualTo("us-east-1-wl1-bos-wlz-1");
            assertThat(me.publicIp()).as("the Carrier IP from EC2").isEqualTo("155.146.10.20");
        }
    }

    @Test
    void aMissingValueSaysWhichKeyToSetInstead() throws Exception {
        try (ImdsServer imds = new ImdsServer(Map.of("instance-id", "i-0abc"))) {
            assertThatThrownBy(() -> Identity.resolve(AgentConfig.Identity.LEARNED, Optional.of(imds.endpoint())))
                    .hasMessageContaining("placement/availability-zone answered 404")
                    .hasMessageContaining("agent.identity.zone");
        }
    }
}
