package io.wavelb.agent.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wavelb.config.AgentConfig;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class IdentityTest {

    /** Answers from maps and records every look-up. */
    static final class FakeSources implements Identity.Sources {
        final Map<String, String> metadata;
        final List<Identity.NetworkInterface> interfaces;
        final List<String> calls = new ArrayList<>();

        FakeSources(Map<String, String> metadata, List<Identity.NetworkInterface> interfaces) {
            this.metadata = metadata;
            this.interfaces = interfaces;
        }

        @Override
        public String metadata(String path) throws IOException {
            calls.add("imds " + path);
            String v = metadata.get(path);
            if (v == null) {
                throw new IOException("no " + path);
            }
            return v;
        }

        @Override
        public List<Identity.NetworkInterface> networkInterfaces(String instanceId) {
            calls.add("ec2 interfaces " + instanceId);
            return interfaces;
        }

        @Override
        public Optional<String> networkBorderGroup(String zone) {
            calls.add("ec2 zone " + zone);
            return Optional.of(zone.contains("-wl1-") ? zone : "us-east-1");
        }
    }

    static Identity.NetworkInterface eni(int index, String carrier, String pub) {
        return new Identity.NetworkInterface(index, Optional.ofNullable(carrier), Optional.ofNullable(pub));
    }

    @Test
    void configuredValuesWinAndNothingIsLookedUp() throws IOException {
        FakeSources sources = new FakeSources(Map.of(), List.of());
        AgentConfig.Identity configured = new AgentConfig.Identity(Optional.of("i-1"), Optional.of("us-east-1-wl1-bos-wlz-1"),
                Optional.of("us-east-1-wl1-bos-wlz-1"), Optional.of("10.0.1.5"), Optional.of("155.146.10.20"));
        assertThat(Identity.resolve(configured, sources))
                .isEqualTo(new Identity("i-1", "us-east-1-wl1-bos-wlz-1", "us-east-1-wl1-bos-wlz-1", "10.0.1.5", "155.146.10.20"));
        assertThat(sources.calls).isEmpty();
    }

    @Test
    void missingValuesComeFromImdsAndEc2WithTheCarrierIpPreferred() throws IOException {
        FakeSources sources = new FakeSources(Map.of("instance-id", "i-9", "placement/availability-zone",
                "us-east-1-wl1-bos-wlz-1", "local-ipv4", "10.0.1.9"),
                List.of(eni(1, null, "3.3.3.3"), eni(0, "155.146.10.21", null)));
        assertThat(Identity.resolve(AgentConfig.Identity.LEARNED, sources))
                .isEqualTo(new Identity("i-9", "us-east-1-wl1-bos-wlz-1", "us-east-1-wl1-bos-wlz-1", "10.0.1.9", "155.146.10.21"));
        assertThat(sources.calls).containsExactly("imds instance-id", "imds placement/availability-zone",
                "ec2 zone us-east-1-wl1-bos-wlz-1", "imds local-ipv4", "ec2 interfaces i-9");
    }

    @Test
    void aRegularZoneGetsTheRegionAsBorderGroupAndThePublicIpWhenNoCarrierIp() throws IOException {
        FakeSources sources = new FakeSources(Map.of("instance-id", "i-2", "placement/availability-zone", "us-east-1a",
                "local-ipv4", "10.0.0.2"), List.of(eni(0, null, "54.1.2.3")));
        Identity me = Identity.resolve(AgentConfig.Identity.LEARNED, sources);
        assertThat(me.networkBorderGroup()).isEqualTo("us-east-1");
        assertThat(me.publicIp()).isEqualTo("54.1.2.3");
    }

    @Test
    void noReachableAddressIsAnErrorThatSaysWhatToSet() {
        FakeSources sources = new FakeSources(Map.of("instance-id", "i-3", "placement/availability-zone", "us-east-1a",
                "local-ipv4", "10.0.0.3"), List.of(eni(0, null, null)));
        assertThatThrownBy(() -> Identity.resolve(AgentConfig.Identity.LEARNED, sources))
                .isInstanceOf(IOException.class).hasMessageContaining("agent.identity.public_ip");
    }

    @Test
    void theCarrierIpOfTheLowestInterfaceWinsOverAnyPublicIp() {
        assertThat(Identity.publicAddress(List.of(eni(2, "155.0.0.2", null), eni(0, null, "54.0.0.1"),
                eni(1, "155.0.0.1", "54.0.0.9")))).contains("155.0.0.1");
        assertThat(Identity.publicAddress(List.of())).isEmpty();
    }
}
