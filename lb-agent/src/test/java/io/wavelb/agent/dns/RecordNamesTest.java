package io.wavelb.agent.dns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class RecordNamesTest {

    @Test
    void placeholdersBecomeThisInstancesZoneOrBorderGroup() {
        assertThat(RecordNames.expand("{zone}.media.example.com", "us-east-1-wl1-bos-wlz-1", "us-east-1-wl1-bos-wlz-1"))
                .isEqualTo("us-east-1-wl1-bos-wlz-1.media.example.com");
        assertThat(RecordNames.expand("{network_border_group}.media.example.com", "us-west-2-lax-1a", "us-west-2-lax-1"))
                .isEqualTo("us-west-2-lax-1.media.example.com");
        assertThat(RecordNames.expand("media.example.com", "z", "g")).isEqualTo("media.example.com");
    }

    @Test
    void unknownPlaceholdersAndUnusableLabelsAreRefused() {
        assertThatThrownBy(() -> RecordNames.expand("{region}.media.example.com", "z", "g"))
                .hasMessageContaining("unknown placeholder");
        assertThatThrownBy(() -> RecordNames.expand("{zone}.media.example.com", "bad zone", "g"))
                .hasMessageContaining("not usable as a DNS label");
    }
}
