package io.wavelb.core.stun;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

class StunMessagesTest {

    /** A Binding Request with the given attributes (type, value) in order. */
    static byte[] bindingRequest(Object... attributes) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (int i = 0; i < attributes.length; i += 2) {
            int type = (Integer) attributes[i];
            byte[] value = attributes[i + 1] instanceof String s ? s.getBytes(StandardCharsets.UTF_8) : (byte[]) attributes[i + 1];
            body.write(type >>> 8);
            body.write(type);
            body.write(value.length >>> 8);
            body.write(value.length);
            body.writeBytes(value);
            for (int pad = value.length; pad % 4 != 0; pad++) {
                body.write(0);
            }
        }
        byte[] b = body.toByteArray();
        byte[] m = new byte[20 + b.length];
        m[1] = 0x01;
        m[2] = (byte) (b.length >>> 8);
        m[3] = (byte) b.length;
        m[4] = 0x21;
        m[5] = 0x12;
        m[6] = (byte) 0xA4;
        m[7] = 0x42;
        for (int i = 8; i < 20; i++) {
            m[i] = (byte) i;
        }
        System.arraycopy(b, 0, m, 20, b.length);
        return m;
    }

    private static String ufrag(byte[] m) {
        long r = StunMessages.receivingUfrag(m, Math.min(m.length, StunMessages.PREFIX), m.length);
        if (r < 0) {
            return r == StunMessages.NO_USERNAME ? "<no username>" : "<not binding>";
        }
        return new String(m, (int) (r >>> 32), (int) r, StandardCharsets.UTF_8);
    }

    @Test
    void readsTheReceivingUfragAfterOtherAttributes() {
        byte[] m = bindingRequest(0x0024, new byte[] {1, 2, 3, 4}, 0x8029, new byte[8], 0x0006, "0a01srv:client7");
        assertThat(ufrag(m)).isEqualTo("0a01srv");
    }

    @Test
    void aUsernameWithoutColonIsTakenWhole() {
        assertThat(ufrag(bindingRequest(0x0006, "abc"))).isEqualTo("abc");
    }

    @Test
    void aPlainBindingRequestHasNoUsername() {
        assertThat(ufrag(bindingRequest())).isEqualTo("<no username>");
        assertThat(ufrag(bindingRequest(0x0006, ":b"))).isEqualTo("<no username>");
    }

    @Test
    void otherMessagesAndMalformedOnesAreNotBindingRequests() {
        byte[] response = bindingRequest(0x0006, "a:b");
        response[1] = 0x01;
        response[0] = 0x01;
        assertThat(ufrag(response)).as("binding success response").isEqualTo("<not binding>");
        byte[] noCookie = bindingRequest(0x0006, "a:b");
        noCookie[4] = 0;
        assertThat(ufrag(noCookie)).isEqualTo("<not binding>");
        byte[] m = bindingRequest(0x0006, "a:b");
        assertThat(ufrag(Arrays.copyOf(m, m.length - 4))).as("length field disagrees").isEqualTo("<not binding>");
        byte[] lying = bindingRequest(0x0006, "a:b");
        lying[23] = 100;
        assertThat(ufrag(lying)).as("attribute longer than the message").isEqualTo("<not binding>");
        assertThat(ufrag(new byte[] {0x16, 0x03, 0x01})).as("a TLS record").isEqualTo("<not binding>");
    }

    @Property(tries = 3000)
    void anyBytesAreReadWithoutThrowingAndAnyUfragLiesInside(@ForAll @Size(max = 80) byte[] junk) {
        for (byte[] m : new byte[][] {junk, withHeader(junk)}) {
            long r = StunMessages.receivingUfrag(m, m.length, m.length);
            if (r >= 0) {
                assertThat((r >>> 32) + (int) r).isLessThanOrEqualTo(m.length);
                assertThat((int) r).isPositive();
            }
        }
    }

    /** Junk behind a valid header, so the attribute walk is exercised rather than the header check. */
    private static byte[] withHeader(byte[] junk) {
        byte[] body = Arrays.copyOf(junk, junk.length & ~3);
        byte[] m = bindingRequest();
        byte[] out = Arrays.copyOf(m, 20 + body.length);
        out[2] = (byte) (body.length >>> 8);
        out[3] = (byte) body.length;
        System.arraycopy(body, 0, out, 20, body.length);
        return out;
    }
}
