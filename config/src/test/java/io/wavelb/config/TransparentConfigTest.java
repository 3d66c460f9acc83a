package io.wavelb.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** listeners[].transparent: read as a plain boolean; a transparent listener's client and target families must fit. */
class TransparentConfigTest {

    private static WavelbConfig parse(String listen, String transparent, String... targets) throws ConfigException {
        StringBuilder t = new StringBuilder();
        for (String target : targets) {
            t.append("      - address: \"").append(target).append("\"\n");
        }
        return ConfigLoader.parse("""
                listeners:
                  - name: edge
                    protocol: tcp_udp
                    listen: "%s"
                    target_group: g
                %s
                target_groups:
                  - name: g
                    targets:
                %s""".formatted(listen, transparent, t), "c.yaml");
    }

    @Test
    void isOffByDefaultAndReadAsABoolean() throws ConfigException {
        assertThat(parse("0.0.0.0:7000", "", "10.0.0.1:7000").listeners().getFirst().transparent()).isFalse();
        assertThat(parse("0.0.0.0:7000", "    transparent: true", "10.0.0.1:7000").listeners().getFirst().transparent())
                .isTrue();
        assertThatThrownBy(() -> parse("0.0.0.0:7000", "    transparent: yes", "10.0.0.1:7000"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("c.yaml:6:")
                .hasMessageContaining("listeners[0].transparent: expected true or false");
    }

    @Test
    void aGroupMixingFamiliesIsRefusedWithBothTargetsNamed() {
        assertThatThrownBy(() -> parse("[::]:7000", "    transparent: true", "10.0.0.1:7000", "[fd00::1]:7000"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("c.yaml:6:18: listeners[0].transparent")
                .hasMessageContaining("mixes IPv4 (10.0.0.1:7000) and IPv6 ([fd00::1]:7000) targets");
    }

    @Test
    void aListenAddressOfTheOtherFamilyIsRefused() {
        assertThatThrownBy(() -> parse("0.0.0.0:7000", "    transparent: true", "[fd00::1]:7000"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("listen address 0.0.0.0:7000 takes IPv4 clients, but target [fd00::1]:7000 of group 'g' is IPv6");
        assertThatThrownBy(() -> parse("[fd00::9]:7000", "    transparent: true", "10.0.0.1:7000"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("takes IPv6 clients, but target 10.0.0.1:7000 of group 'g' is IPv4");
    }

    @Test
    void wildcardsHostNamesAndNonTransparentListenersAreAccepted() throws ConfigException {
        parse("[::]:7000", "    transparent: true", "[fd00::1]:7000");
        parse("[::]:7000", "    transparent: true", "10.0.0.1:7000");
        parse("0.0.0.0:7000", "    transparent: true", "targets.internal:7000", "10.0.0.1:7000");
        parse("0.0.0.0:7000", "", "10.0.0.1:7000", "[fd00::1]:7000");
    }
}
