package io.wavelb.core.udp;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoop;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DatagramPacket;
import io.wavelb.config.Algorithm;
import io.wavelb.config.ListenerConfig;
import io.wavelb.config.Protocol;
import io.wavelb.config.TcpSettings;
import io.wavelb.config.UdpSettings;
import io.wavelb.config.WavelbConfig;
import io.wavelb.core.stats.ListenerCounter;
import io.wavelb.core.stats.ListenerStats;
import io.wavelb.core.stats.LoopCounters;
import io.wavelb.core.target.TargetGroup;
import io.wavelb.core.testing.TestConfigs;
import io.wavelb.core.transport.Transport;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The UDP intake on Netty's {@link EmbeddedChannel}: datagrams in, sessions opened, capped and
 * ended, with upstream sockets that are test doubles. Every buffer the test makes is checked to be
 * released exactly once (refCnt 0 at the end; a double release throws).
 */
class UdpLoopHandlerTest {

    private static final InetSocketAddress LISTENER = new InetSocketAddress("127.0.0.1", 5000);
    private static final Duration IDLE = Duration.ofSeconds(60);

    private final List<ByteBuf> made = new ArrayList<>();
    private final FakeUpstreams upstreams = new FakeUpstreams();
    private ListenerStats stats;
    private UdpListener listener;
    private UdpLoopHandler handler;
    private EmbeddedChannel channel;

    /** Upstream sockets that record what they are sent and answer with scripted outcomes. */
    static final class FakeUpstreams implements Upstreams.Factory {
        final List<FakeUpstream> opened = new ArrayList<>();
        UpstreamEvents events;
        Upstream.Outcome sendOutcome = Upstream.Outcome.OK;
        Upstream.Outcome flushOutcome = Upstream.Outcome.OK;

        @Override
        public Upstreams create(EventLoop loop, ByteBufAllocator alloc, LoopCounters counters, UpstreamEvents events) {
            this.events = events;
            return (session, receiveCapacity, receiveBuffer, source) -> {
                FakeUpstream u = new FakeUpstream(this, session);
                opened.add(u);
                return u;
            };
        }
    }

    static final class FakeUpstream implements Upstream {
        final FakeUpstreams script;
        final UdpSession session;
        final List<String> sent = new ArrayList<>();
        int flushes;
        boolean closed;
        private boolean inCall;

        FakeUpstream(FakeUpstreams script, UdpSession session) {
            this.script = script;
            this.session = session;
        }

        @Override
        public boolean connectedAtOpen() {
            return true;
        }

        @Override
        public java.net.InetSocketAddress localAddress() {
            return null;
        }

        @Override
        public Outcome send(ByteBuf datagram) {
            assertThat(closed).as("send on a closed upstream").isFalse();
            inCall = true;
            try {
                sent.add(datagram.toString(US_ASCII));
                datagram.release();
                return script.sendOutcome;
            } finally {
                inCall = false;
            }
        }

        @Override
        public Outcome flush() {
            assertThat(closed).as("flush on a closed upstream").isFalse();
            inCall = true;
            try {
                flushes++;
                return script.flushOutcome;
            } finally {
                inCall = false;
            }
        }

        @Override
        public void close() {
            assertThat(inCall).as("upstream closed from inside its own send or flush").isFalse();
            closed = true;
        }
    }

    private void start(UdpSettings udp) {
        WavelbConfig config = TestConfigs.single(Protocol.UDP, Algorithm.MAGLEV, udp, TcpSettings.DEFAULTS,
                List.of("127.0.0.1:9", "127.0.0.1:19"));
        ListenerConfig l = config.listeners().getFirst();
        TargetGroup group = TargetGroup.create(config.targetGroups().getFirst());
        stats = new ListenerStats(l.name());
        listener = new UdpListener(l, group, Transport.select(io.wavelb.config.Transport.NIO), stats, upstreams);
        handler = new UdpLoopHandler(listener, UdpLoopSettings.of(l, group, LISTENER), upstreams);
        channel = new EmbeddedChannel(handler);
    }

    private ByteBuf bytes(String text) {
        ByteBuf b = Unpooled.directBuffer().writeBytes(text.getBytes(US_ASCII));
        made.add(b);
        return b;
    }

    private ByteBuf bytes(int size) {
        ByteBuf b = Unpooled.directBuffer(size).writeZero(size);
        made.add(b);
        return b;
    }

    private static InetSocketAddress client(int port) {
        return new InetSocketAddress("127.0.0.1", port);
    }

    private DatagramPacket from(int clientPort, ByteBuf content) {
        return new DatagramPacket(content, LISTENER, client(clientPort));
    }

    private long count(ListenerCounter counter) {
        return stats.total(counter);
    }

    @AfterEach
    void everyBufferReleasedOnce() {
        if (channel != null) {
            channel.finishAndReleaseAll();
        }
        assertThat(made).as("buffers the test made").allSatisfy(b -> assertThat(b.refCnt()).isZero());
    }

    @Test
    void aNewClientGetsASessionAndItsDatagramsOneFlushPerReadBatch() {
        start(new UdpSettings(IDLE, 100, 1500, 0, 0));
        channel.writeInbound(from(40000, bytes("one")), from(40000, bytes("two")));

        assertThat(upstreams.opened).hasSize(1);
        FakeUpstream upstream = upstreams.opened.getFirst();
        assertThat(upstream.sent).containsExactly("one", "two");
        assertThat(upstream.flushes).isEqualTo(1);
        assertThat(handler.sessions().size()).isEqualTo(1);
        assertThat(listener.activeFlows()).isEqualTo(1);
        assertThat(upstream.session.target.udpSessions()).isEqualTo(1);
        assertThat(count(ListenerCounter.SESSIONS_CREATED)).isEqualTo(1);
        assertThat(count(ListenerCounter.DATAGRAMS_RX)).isEqualTo(2);
        assertThat(count(ListenerCounter.BYTES_RX)).isEqualTo(6);

        channel.writeInbound(from(40001, bytes("three")));
        assertThat(upstreams.opened).hasSize(2);
        assertThat(handler.sessions().size()).isEqualTo(2);
    }

    @Test
    void aReplyGoesBackToTheClientFromTheListenerSocket() {
        start(new UdpSettings(IDLE, 100, 1500, 0, 0));
        channel.writeInbound(from(40000, bytes("ping")));
        UdpSession session = upstreams.opened.getFirst().session;

        assertThat(upstreams.events.reply(session, bytes("pong"))).isTrue();
        channel.runPendingTasks();

        DatagramPacket reply = channel.readOutbound();
        try {
            assertThat(reply.recipient()).isEqualTo(client(40000));
            assertThat(ByteBufUtil.getBytes(reply.content())).isEqualTo("pong".getBytes(US_ASCII));
        } finally {
            reply.release();
        }
        assertThat(count(ListenerCounter.DATAGRAMS_TX)).isEqualTo(1);
    }

    @Test
    void atTheSessionCapANewClientIsDroppedAndCounted() {
        start(new UdpSettings(IDLE, 2, 1500, 0, 0));
        channel.writeInbound(from(40000, bytes("a")), from(40001, bytes("b")), from(40002, bytes("c")));

        assertThat(upstreams.opened).hasSize(2);
        assertThat(handler.sessions().size()).isEqualTo(2);
        assertThat(count(ListenerCounter.DROPPED_SESSION_CAP)).isEqualTo(1);
        assertThat(count(ListenerCounter.SESSIONS_CREATED)).isEqualTo(2);
        assertThat(listener.activeFlows()).isEqualTo(2);
    }

    @Test
    void anOversizeDatagramIsDroppedWithoutASession() {
        start(new UdpSettings(IDLE, 100, 100, 0, 0));
        channel.writeInbound(from(40000, bytes(101)));

        assertThat(upstreams.opened).isEmpty();
        assertThat(count(ListenerCounter.DROPPED_OVERSIZE)).isEqualTo(1);
        assertThat(count(ListenerCounter.DATAGRAMS_RX)).isZero();

        channel.writeInbound(from(40000, bytes(100)));
        assertThat(upstreams.opened).hasSize(1);
        // A reply over the limit is dropped too, and the session goes on.
        UdpSession session = upstreams.opened.getFirst().session;
        assertThat(upstreams.events.reply(session, bytes(101))).isTrue();
        channel.runPendingTasks();
        assertThat((Object) channel.readOutbound()).isNull();
        assertThat(count(ListenerCounter.DROPPED_OVERSIZE)).isEqualTo(2);
    }

    @Test
    void aRefusedSendEndsTheSessionAfterTheSendReturnsAndTheNextDatagramRepicks() {
        start(new UdpSettings(IDLE, 100, 1500, 0, 0));
        upstreams.sendOutcome = Upstream.Outcome.FAILED;
        channel.writeInbound(from(40000, bytes("refused")));

        FakeUpstream first = upstreams.opened.getFirst();
        assertThat(first.closed).isTrue();
        assertThat(first.flushes).as("an ended session is not flushed").isZero();
        assertThat(handler.sessions().size()).isZero();
        assertThat(listener.activeFlows()).isZero();
        assertThat(first.session.target.udpSessions()).isZero();
        assertThat(count(ListenerCounter.CLOSED_TARGET_UNREACHABLE)).isEqualTo(1);

        upstreams.sendOutcome = Upstream.Outcome.OK;
        channel.writeInbound(from(40000, bytes("again")));
        assertThat(upstreams.opened).hasSize(2);
        assertThat(upstreams.opened.get(1).sent).containsExactly("again");
    }

    @Test
    void aRefusedFlushEndsTheSession() {
        start(new UdpSettings(IDLE, 100, 1500, 0, 0));
        upstreams.flushOutcome = Upstream.Outcome.FAILED;
        channel.writeInbound(from(40000, bytes("queued")));

        assertThat(upstreams.opened.getFirst().closed).isTrue();
        assertThat(handler.sessions().size()).isZero();
        assertThat(count(ListenerCounter.CLOSED_TARGET_UNREACHABLE)).isEqualTo(1);
    }

    @Test
    void aBusyUpstreamDropsTheDatagramAndKeepsTheSession() {
        start(new UdpSettings(IDLE, 100, 1500, 0, 0));
        upstreams.sendOutcome = Upstream.Outcome.BUSY;
        channel.writeInbound(from(40000, bytes("busy")));

        assertThat(upstreams.opened.getFirst().closed).isFalse();
        assertThat(handler.sessions().size()).isEqualTo(1);
        assertThat(count(ListenerCounter.DROPPED_UPSTREAM_BUSY)).isEqualTo(1);
    }

    @Test
    void aSessionUnboundByMaxRequestsStillRelaysRepliesAndExpiresWhenIdle() {
        start(new UdpSettings(IDLE, 100, 1500, 1, 0));
        channel.writeInbound(from(40000, bytes("request")));

        FakeUpstream upstream = upstreams.opened.getFirst();
        assertThat(handler.sessions().size()).as("out of the table").isZero();
        assertThat(listener.activeFlows()).as("still open").isEqualTo(1);

        assertThat(upstreams.events.reply(upstream.session, bytes("late reply"))).isTrue();
        channel.runPendingTasks();
        DatagramPacket reply = channel.readOutbound();
        assertThat(reply.recipient()).isEqualTo(client(40000));
        reply.release();

        // The client's next datagram starts a new session.
        channel.writeInbound(from(40000, bytes("next")));
        assertThat(upstreams.opened).hasSize(2);

        long now = System.nanoTime();
        handler.sessions().sweep(now);
        assertThat(upstream.closed).as("not idle yet").isFalse();
        handler.sessions().sweep(now + IDLE.toNanos() + TimeUnit.SECONDS.toNanos(1));
        assertThat(upstream.closed).isTrue();
        assertThat(upstreams.opened.get(1).closed).isTrue();
        assertThat(count(ListenerCounter.CLOSED_IDLE)).isEqualTo(2);
        assertThat(listener.activeFlows()).isZero();
        assertThat(upstream.session.target.udpSessions()).isZero();
    }

    @Test
    void aReplyThatCompletesTheSessionTellsTheUpstreamToStopReading() {
        start(new UdpSettings(IDLE, 100, 1500, 0, 1));
        channel.writeInbound(from(40000, bytes("query")));
        FakeUpstream upstream = upstreams.opened.getFirst();

        assertThat(upstreams.events.reply(upstream.session, bytes("answer"))).isFalse();
        assertThat(upstream.closed).isTrue();
        assertThat(count(ListenerCounter.CLOSED_COMPLETED)).isEqualTo(1);
        channel.runPendingTasks();
        DatagramPacket reply = channel.readOutbound();
        reply.release();
    }

    @Test
    void closingTheListenerSocketEndsEverySessionAsShutdown() {
        start(new UdpSettings(IDLE, 100, 1500, 0, 0));
        channel.writeInbound(from(40000, bytes("a")), from(40001, bytes("b")));
        channel.close();

        assertThat(upstreams.opened).allSatisfy(u -> assertThat(u.closed).isTrue());
        assertThat(count(ListenerCounter.CLOSED_SHUTDOWN)).isEqualTo(2);
        assertThat(listener.activeFlows()).isZero();
    }
}
