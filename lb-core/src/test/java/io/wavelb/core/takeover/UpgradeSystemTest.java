package io.wavelb.core.takeover;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollDomainDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainDatagramPacket;
import io.netty.channel.unix.DomainSocketAddress;
import io.wavelb.core.testing.Commands;
import io.wavelb.core.testing.PortRecordingTarget;
import io.wavelb.core.testing.Ports;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code wavelb upgrade} as under systemd: the running process starts its successor, which takes
 * over and tells the notify socket MAINPID=itself before the old process can exit, then READY=1;
 * the old process says nothing more (no STOPPING=1: the unit is not stopping). A fake notify
 * socket stands in for systemd; live UDP flows keep their source port throughout.
 */
@Timeout(180)
class UpgradeSystemTest {

    @TempDir
    Path dir;

    @Test
    void theSuccessorBecomesTheMainProcessBeforeTheOldOneExits() throws Exception {
        Path notify = dir.resolve("notify.sock");
        List<String> notes = new CopyOnWriteArrayList<>();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        try (PortRecordingTarget target = new PortRecordingTarget(Ports.freeTcpAndUdp())) {
            Channel systemd = new io.netty.bootstrap.Bootstrap().group(group).channel(EpollDomainDatagramChannel.class)
                    .handler(new SimpleChannelInboundHandler<DomainDatagramPacket>() {
                        @Override
                        protected void channelRead0(ChannelHandlerContext ctx, DomainDatagramPacket p) {
                            notes.add(p.content().toString(StandardCharsets.UTF_8));
                        }
                    })
                    .bind(new DomainSocketAddress(notify.toFile())).sync().channel();
            int port = Ports.freeTcpAndUdp();
            Path cfg = dir.resolve("wavelb.yaml");
            Files.writeString(cfg, """
                    admin:
                      listen: 127.0.0.1:%d
                    runtime:
                      state_dir: %s
                      shutdown_grace_period: 5s
                    listeners:
                      - name: media
                        protocol: udp
                        listen: 127.0.0.1:%d
                        target_group: echo
                    target_groups:
                      - name: echo
                        targets:
                          - address: %s
                    """.formatted(Ports.freeTcpAndUdp(), dir.resolve("state"), port, target.address()));
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            ProcessBuilder pb = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                    "io.wavelb.core.cli.Main", "run", "--config", cfg.toString())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("run.log").toFile());
            pb.environment().put("NOTIFY_SOCKET", notify.toString());
            pb.environment().remove("WAVELB_LAUNCHER");
            Process old = pb.start();
            try {
                await().atMost(Duration.ofSeconds(60)).until(() -> notes.stream().anyMatch(n -> n.contains("READY=1")));
                Flows flows = new Flows(new InetSocketAddress("127.0.0.1", port), 8, 20, 3000);
                try {
                    await().atMost(Duration.ofSeconds(30)).until(() -> flows.leastAnswered() >= 5);
                    StringBuilder said = new StringBuilder();
                    int upgraded = Commands.run(List.of(java, "-cp", System.getProperty("java.class.path"), "io.wavelb.core.cli.Main",
                            "upgrade", "--config", cfg.toString()), said, 120);
                    assertThat(upgraded).as("exit of upgrade (-1: still running after 120 s): %s", said).isZero();
                    assertThat(said).contains("took over from pid " + old.pid());
                    int at = flows.answered();
                    await().atMost(Duration.ofSeconds(30)).until(() -> flows.answered() >= at + 8 * 20);
                } finally {
                    flows.stop();
                }
                assertThat(old.waitFor(30, TimeUnit.SECONDS)).as("the old process exits").isTrue();
                assertThat(old.exitValue()).isZero();
                ProcessHandle next = successor(dir.resolve("run.log")).orElseThrow();
                long successor = next.pid();
                try {
                    assertThat(flows.answered()).as(flows.summary()).isEqualTo(flows.asked());
                    target.portsByFlow().forEach((flow, seen) -> assertThat(seen).as(flow).hasSize(1));
                    await().atMost(Duration.ofSeconds(30)).until(() -> notes.stream().anyMatch(n -> n.contains("took over")));
                    int mainPid = indexOf(notes, "MAINPID=" + successor);
                    int ready = indexOf(notes, "took over");
                    assertThat(mainPid).as("MAINPID of the successor in " + notes).isNotNegative();
                    assertThat(ready).as("READY=1 after MAINPID in " + notes).isGreaterThanOrEqualTo(mainPid);
                    assertThat(notes.get(ready)).contains("READY=1");
                    assertThat(notes).as("the old process does not tell systemd it stops").noneMatch(n -> n.contains("STOPPING=1"));
                } finally {
                    next.destroy();
                    next.onExit().get(40, TimeUnit.SECONDS);
                }
                assertThat(notes).as("the successor stops as a main process does").anyMatch(n -> n.contains("STOPPING=1"));
            } finally {
                Commands.kill(old); // and its successor, while it is still the successor's parent
                // Once the old process has exited, its successor is no longer its descendant: a
                // failure after that (its exit value, the flows) would leave the successor running.
                successor(dir.resolve("run.log")).ifPresent(ProcessHandle::destroyForcibly);
                systemd.close().sync();
            }
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    /**
     * The successor the old process logged starting ({@code upgrade: started pid N}), while that pid
     * still runs wavelb (not a process that took the pid over after the successor ended).
     */
    private static Optional<ProcessHandle> successor(Path runLog) throws IOException {
        if (!Files.exists(runLog)) {
            return Optional.empty();
        }
        Matcher m = Pattern.compile("upgrade: started pid (\\d+)").matcher(Files.readString(runLog));
        if (!m.find()) {
            return Optional.empty();
        }
        return ProcessHandle.of(Long.parseLong(m.group(1))).filter(UpgradeSystemTest::runsWavelb);
    }

    /** Read from /proc: ProcessHandle.Info drops a command line as long as this test's class path. */
    private static boolean runsWavelb(ProcessHandle h) {
        try (InputStream in = Files.newInputStream(Path.of("/proc", Long.toString(h.pid()), "cmdline"))) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).contains("io.wavelb.core.cli.Main");
        } catch (IOException e) {
            return false; // ended meanwhile
        }
    }

    private static int indexOf(List<String> notes, String text) {
        for (int i = 0; i < notes.size(); i++) {
            if (notes.get(i).contains(text)) {
                return i;
            }
        }
        return -1;
    }
}
