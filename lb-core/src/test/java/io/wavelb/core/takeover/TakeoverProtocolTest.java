package io.wavelb.core.takeover;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wavelb.core.listener.InheritedSockets;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The takeover wire format, without sockets. */
class TakeoverProtocolTest {

    private static InetSocketAddress a(String host, int port) {
        return new InetSocketAddress(host, port);
    }

    private static TakeoverProtocol.Message roundTrip(TakeoverProtocol.Message m) throws Exception {
        return TakeoverProtocol.decode(TakeoverProtocol.encode(m));
    }

    @Test
    void everyMessageSurvivesEncodingIpv4AndIpv6() throws Exception {
        assertThat(roundTrip(new TakeoverProtocol.Hello(1, 4242))).isEqualTo(new TakeoverProtocol.Hello(1, 4242));
        assertThat(roundTrip(new TakeoverProtocol.Refused("busy"))).isEqualTo(new TakeoverProtocol.Refused("busy"));
        var listeners = new TakeoverProtocol.Listeners(7, List.of(
                new TakeoverProtocol.ListenerSocket("media", true, a("127.0.0.1", 5000), 2),
                new TakeoverProtocol.ListenerSocket("web", false, a("::1", 443), 1)),
                List.of(new TakeoverProtocol.TargetHealth("g", "10.0.0.1:80", "HEALTHY")), 3);
        assertThat(roundTrip(listeners)).isEqualTo(listeners);
        assertThat(roundTrip(new TakeoverProtocol.SendFds(64))).isEqualTo(new TakeoverProtocol.SendFds(64));
        assertThat(roundTrip(new TakeoverProtocol.Ready())).isEqualTo(new TakeoverProtocol.Ready());
        var state = new TakeoverProtocol.SessionState(77, "media", 1, a("2001:db8::5", 40000), a("10.0.0.9", 9000), 1500,
                12, 11, true, new byte[] {0x0d, 0x0a, 0, 1});
        var sessions = (TakeoverProtocol.Sessions) roundTrip(new TakeoverProtocol.Sessions(List.of(state), 1));
        TakeoverProtocol.SessionState back = sessions.sessions().getFirst();
        assertThat(back.client()).isEqualTo(a("2001:db8::5", 40000));
        assertThat(back.target()).isEqualTo(a("10.0.0.9", 9000));
        assertThat(back.proxyHeader()).containsExactly(0x0d, 0x0a, 0, 1);
        assertThat(List.of(back.id(), back.listener(), back.member(), back.quietMillis(), back.requests(), back.responses(),
                back.replied())).containsExactly(77L, "media", 1, 1500L, 12L, 11L, true);
        assertThat(roundTrip(new TakeoverProtocol.Prepared())).isEqualTo(new TakeoverProtocol.Prepared());
        var delta = (TakeoverProtocol.Delta) roundTrip(new TakeoverProtocol.Delta(List.of(3L, 9L), List.of(state), 1));
        assertThat(delta.closed()).containsExactly(3L, 9L);
        assertThat(delta.sessions()).extracting(TakeoverProtocol.SessionState::id).containsExactly(77L);
        assertThat(delta.fds()).isEqualTo(1);
        assertThat(roundTrip(new TakeoverProtocol.Taken(2, 5))).isEqualTo(new TakeoverProtocol.Taken(2, 5));
        assertThat(roundTrip(new TakeoverProtocol.Failed("x"))).isEqualTo(new TakeoverProtocol.Failed("x"));
        assertThat(roundTrip(new TakeoverProtocol.Released())).isEqualTo(new TakeoverProtocol.Released());
        assertThat(roundTrip(new TakeoverProtocol.Upgraded(true, 9, "ok"))).isEqualTo(new TakeoverProtocol.Upgraded(true, 9, "ok"));
    }

    @Test
    void aManifestOfAnotherVersionIsRefusedWithBothVersions() {
        String other = TakeoverProtocol.encode(new TakeoverProtocol.Listeners(1, List.of(), List.of(), 0))
                .replace("\"version\":" + TakeoverProtocol.VERSION, "\"version\":" + (TakeoverProtocol.VERSION + 1));
        assertThatThrownBy(() -> TakeoverProtocol.decode(other))
                .hasMessageContaining("speaks takeover protocol version " + (TakeoverProtocol.VERSION + 1) + ", this one "
                        + TakeoverProtocol.VERSION);
    }

    @Test
    void badInputIsAProtocolErrorNamingWhatWasWrong() {
        assertThatThrownBy(() -> TakeoverProtocol.decode("{\"type\":\"nope\"}")).hasMessageContaining("unknown takeover message type 'nope'");
        assertThatThrownBy(() -> TakeoverProtocol.decode("[1]")).hasMessageContaining("not a takeover message");
        assertThatThrownBy(() -> TakeoverProtocol.decode("{\"type\":\"hello\",\"version\":-1,\"pid\":1}"))
                .hasMessageContaining("'version' missing or not a whole number");
        assertThatThrownBy(() -> TakeoverProtocol.decode("{\"type\":\"send_fds\",\"count\":65}"))
                .hasMessageContaining("send_fds count 65 (expected 1..64)");
        assertThatThrownBy(() -> TakeoverProtocol.parseAddress("example.com:80")).hasMessageContaining("expected a literal IP");
        assertThatThrownBy(() -> TakeoverProtocol.parseAddress("1.2.3.4:99999")).hasMessageContaining("expected a literal IP");
        assertThatThrownBy(() -> TakeoverProtocol.parseAddress("1.2.3.4")).hasMessageContaining("expected IP:PORT");
    }

    @Test
    void handedSocketsGoToTheirListenerOnlyWhereItStillListens() {
        var manifest = new TakeoverProtocol.Listeners(1, List.of(
                new TakeoverProtocol.ListenerSocket("media", true, a("127.0.0.1", 5000), 2),
                new TakeoverProtocol.ListenerSocket("web", false, a("127.0.0.1", 8080), 1)), List.of(), 3);
        List<String> missing = new ArrayList<>();
        InheritedSockets sockets = HandedSockets.of(manifest, List.of(-1, -2, -3), missing);
        assertThat(missing).isEmpty();
        assertThat(sockets.paused()).isTrue();
        assertThat(sockets.take("media", false, a("127.0.0.1", 5000))).as("not its protocol").isEmpty();
        assertThat(sockets.take("web", false, a("127.0.0.1", 8081))).as("moved by the new config: binds anew").isEmpty();
        assertThat(sockets.take("media", true, a("127.0.0.1", 5000))).containsExactly(-1, -2);
        assertThat(sockets.untaken()).extracting(InheritedSockets.InheritedSocket::fd).containsExactly(-3);
        assertThat(sockets.take("web", false, a("127.0.0.1", 0))).as("port 0 in the config takes any").containsExactly(-3);
    }

    @Test
    void aListenerNotFullyReceivedBindsAnew() {
        var manifest = new TakeoverProtocol.Listeners(1, List.of(
                new TakeoverProtocol.ListenerSocket("media", true, a("127.0.0.1", 5000), 1),
                new TakeoverProtocol.ListenerSocket("web", false, a("127.0.0.1", 8080), 2)), List.of(), 3);
        List<String> missing = new ArrayList<>();
        InheritedSockets sockets = HandedSockets.of(manifest, List.of(-1, -2), missing);
        assertThat(missing).containsExactly("listener 'web' (tcp): 1 of 2 socket(s) received; binding it anew");
        assertThat(sockets.untaken()).extracting(InheritedSockets.InheritedSocket::fd).containsExactly(-1);
    }
}
