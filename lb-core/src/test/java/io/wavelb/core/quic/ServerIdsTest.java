package io.wavelb.core.quic;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class ServerIdsTest {

    private final ServerIds<String> ids = new ServerIds<>(
            List.of(new byte[] {0, 1}, new byte[] {0, 2}, new byte[] {(byte) 0xab}), List.of("a", "b", "c"));

    @Test
    void findsByExactBytes() {
        assertThat(ids.find(new byte[] {0, 2, 9}, 2)).isEqualTo("b");
        assertThat(ids.find(new byte[] {0, 3}, 2)).isNull();
        assertThat(ids.find(new byte[] {0, 1}, 1)).as("length matters").isNull();
    }

    @Test
    void findsByLowercaseHexPrefixOfAUfrag() {
        byte[] text = "xx0002Kd9f:peer".getBytes(StandardCharsets.US_ASCII);
        assertThat(ids.findHexPrefix(text, 2, 8)).isEqualTo("b");
        assertThat(ids.findHexPrefix("abQ".getBytes(StandardCharsets.US_ASCII), 0, 3)).isEqualTo("c");
        assertThat(ids.findHexPrefix("AB".getBytes(StandardCharsets.US_ASCII), 0, 2)).isNull();
        assertThat(ids.findHexPrefix("000".getBytes(StandardCharsets.US_ASCII), 0, 3)).isNull();
    }
}
