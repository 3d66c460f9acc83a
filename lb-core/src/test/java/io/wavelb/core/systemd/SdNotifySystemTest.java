package io.wavelb.core.systemd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDomainDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainDatagramPacket;
import io.netty.channel.unix.DomainSocketAddress;
import io.wavelb.core.testing.Commands;
import io.wavelb.core.testing.EchoServer;
import io.wavelb.core.testing.HeldLoop;
import io.wavelb.core.testing.Ports;
import io.wavelb.core.testing.Warnings;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The balancer as a systemd Type=notify service sees it: this test plays systemd's notify socket. */
@Timeout(60)
class SdNotifySystemTest {

    @TempDir
    Path dir;

    private static String next(BlockingQueue<String> messages, String wanted, List<String> seen) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (System.nanoTime() < deadline) {
            String m = messages.poll(100, TimeUnit.MILLISECONDS);
            if (m != null) {
                seen.add(m);
                if (m.startsWith(wanted)) {
                    return m;
                }
            }
        }
        throw new AssertionError("no '" + wanted + "' message; saw " + seen);
    }

    @Test
    void tellsSystemdReadyReloadingReadyStoppingAndFeedsTheWatchdog() throws Exception {
        assumeTrue(Epoll.isAvailable(), "sd_notify needs the epoll transport");
        Path socket = dir.resolve("notify.sock");
        BlockingQueue<String> messages = new LinkedBlockingQueue<>();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        try (EchoServer echo = EchoServer.start("e")) {
            Channel systemd = new io.netty.bootstrap.Bootstrap().group(group).channel(EpollDomainDatagramChannel.class)
                    .handler(new SimpleChannelInboundHandler<DomainDatagramPacket>() {
                        @Override
                        protected void channelRead0(ChannelHandlerContext ctx, DomainDatagramPacket p) {
                            messages.add(p.content().toString(StandardCharsets.UTF_8));
                        }
                    })
                    .bind(new DomainSocketAddress(socket.toFile())).sync().channel();
            Path cfg = dir.resolve("wavelb.yaml");
            String yaml = """
                    admin:
                      listen: 127.0.0.1:%d
                    listeners:
                      - name: edge
                        protocol: udp
                        listen: 127.0.0.1:%d
                        target_group: g
                    target_groups:
                      - name: g
                        targets:
                          - address: %s
                    """.formatted(Ports.freeTcpAndUdp(), Ports.freeTcpAndUdp(), echo.address());
            Files.writeString(cfg, yaml);
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            ProcessBuilder pb = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                    "io.wavelb.core.cli.Main", "run", "--config", cfg.toString())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("out.log").toFile());
            pb.environment().put("NOTIFY_SOCKET", socket.toString());
            pb.environment().put("WATCHDOG_USEC", "400000");
            Process p = pb.start();
            List<String> seen = new ArrayList<>();
            try {
                assertThat(next(messages, "READY=1", seen)).contains("STATUS=serving 1 listener(s)");
                assertThat(next(messages, "WATCHDOG=1", seen)).isEqualTo("WATCHDOG=1\n");

                Files.writeString(cfg, yaml.replace("target_groups:", """
                          - name: extra
                            protocol: tcp
                            listen: 127.0.0.1:%d
                            target_group: g
                        target_groups:""".formatted(Ports.freeTcpAndUdp())));
                Commands.signal(p.pid(), "HUP");
                assertThat(next(messages, "RELOADING=1", seen)).containsPattern("MONOTONIC_USEC=[0-9]+");
                assertThat(next(messages, "READY=1", seen)).contains("reloaded: listeners: 1 added");

                p.toHandle().destroy();
                assertThat(next(messages, "STOPPING=1", seen)).contains("STATUS=draining");
                assertThat(p.waitFor(15, TimeUnit.SECONDS)).isTrue();
                assertThat(p.exitValue()).isZero();
            } finally {
                Commands.kill(p);
                systemd.close().sync();
            }
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    @Test
    void withoutNotifySocketEverythingIsANoOp() {
        try (SdNotify n = SdNotify.fromEnvironment(java.util.Map.of())) {
            assertThat(n.enabled()).isFalse();
            n.ready("x");
            n.reloading();
            n.stopping("y");
        }
    }

    /**
     * A stuck notify loop (here held by a task) must not keep the process from stopping: close waits
     * at most CLOSE_STEP per step, then goes on and names the loop.
     */
    @Test
    void closeWithAStuckNotifyLoopEndsAfterItsBoundAndNamesTheLoop() throws Exception {
        assumeTrue(Epoll.isAvailable(), "sd_notify needs the epoll transport");
        Path socket = dir.resolve("notify.sock");
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        try {
            Channel systemd = new io.netty.bootstrap.Bootstrap().group(group).channel(EpollDomainDatagramChannel.class)
                    .handler(new io.netty.channel.ChannelInboundHandlerAdapter())
                    .bind(new DomainSocketAddress(socket.toFile())).sync().channel();
            SdNotify notify = SdNotify.fromEnvironment(java.util.Map.of("NOTIFY_SOCKET", socket.toString()));
            assertThat(notify.enabled()).isTrue();
            try (HeldLoop held = HeldLoop.hold(notify.loop().next())) {
                List<String> warnings = Warnings.during(notify::close);
                assertThat(held.holding()).as("close returned while the loop was still held").isTrue();
                assertThat(warnings).anyMatch(w -> w.startsWith("systemd notify: closing NOTIFY_SOCKET has not finished after "
                        + SdNotify.CLOSE_STEP.toSeconds() + " s"));
                assertThat(warnings).anyMatch(w -> w.startsWith("systemd notify: event loop still running after "
                        + SdNotify.CLOSE_STEP.toSeconds() + " s; going on without them; wavelb-sd-notify"));
            }
            systemd.close().sync();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }
}
