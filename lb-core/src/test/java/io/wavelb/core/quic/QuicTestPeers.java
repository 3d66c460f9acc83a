package io.wavelb.core.quic;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.wavelb.core.testing.Commands;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/** What the QUIC system tests' endpoints share: a self-signed identity for the servers and an echoing stream handler. */
final class QuicTestPeers {

    static final String ALPN = "wavelb-echo";

    private QuicTestPeers() {
    }

    record Identity(PrivateKey key, X509Certificate certificate) {
    }

    /** An EC key and self-signed certificate for localhost, made by the JDK's keytool in {@code dir}. */
    static Identity selfSigned(Path dir) throws Exception {
        Path store = dir.resolve("quic.p12");
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        Commands.check(List.of(keytool, "-genkeypair", "-alias", "quic", "-keyalg", "EC", "-groupname", "secp256r1",
                "-dname", "CN=localhost", "-validity", "2", "-storetype", "PKCS12", "-keystore", store.toString(),
                "-storepass", "changeit", "-keypass", "changeit"), 60);
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (var in = Files.newInputStream(store)) {
            ks.load(in, "changeit".toCharArray());
        }
        return new Identity((PrivateKey) ks.getKey("quic", "changeit".toCharArray()),
                (X509Certificate) ks.getCertificate("quic"));
    }

    /** Echoes every stream byte back, counting them. */
    @ChannelHandler.Sharable
    static final class Echo extends ChannelInboundHandlerAdapter {
        private final AtomicLong bytes;

        Echo(AtomicLong bytes) {
            this.bytes = bytes;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            bytes.addAndGet(((ByteBuf) msg).readableBytes());
            ctx.writeAndFlush(msg);
        }
    }
}
