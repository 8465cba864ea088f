package io.userv2.switchd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.netty.buffer.ByteBuf;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.switchd.config.ListenAddress;
import io.userv2.switchd.config.Ipv6Settings;
import io.userv2.switchd.config.SwitchConfig;
import io.userv2.switchd.notify.NotificationSender;
import io.userv2.switchd.notify.SwitchNotifications;
import io.userv2.switchd.switching.Frames;
import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** When the switch sends gvproxy's connection events: a VM MAC's first frame, and its port's close. */
class SwitchNotificationsTest {
    @TempDir
    Path dir;

    @Test
    void aVmsMacIsAnnouncedWhenFirstSeenAndClosedWithItsPort() throws Exception {
        BlockingQueue<String> received = new LinkedBlockingQueue<>();
        Path events = dir.resolve("notify.sock");
        try (ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            listener.bind(UnixDomainSocketAddress.of(events));
            Thread t = new Thread(() -> {
                while (listener.isOpen()) {
                    try (SocketChannel ch = listener.accept(); InputStream in = Channels.newInputStream(ch)) {
                        received.add(new String(in.readAllBytes(), StandardCharsets.UTF_8));
                    } catch (IOException closed) {
                        return;
                    }
                }
            });
            t.setDaemon(true);
            t.start();
            Path sock = dir.resolve("net.sock");
            VirtualNetwork net = VirtualNetwork.create(new SwitchConfig(List.of(new ListenAddress.Unix(sock)),
                    SwitchConfig.DEFAULT_SUBNET, Ipv4Address.parse("192.168.104.2"), SwitchConfig.DEFAULT_GATEWAY_MAC,
                    1500, null).withIpv6(Ipv6Settings.OFF));
            try (NotificationSender sender = new NotificationSender(events)) {
                SwitchNotifications.attach(net.learningSwitch(), sender); // before the loop runs, as the daemon does
                net.start();
                try (VmClient a = VmClient.connect(sock); VmClient b = VmClient.connect(sock)) {
                    byte[] fromA = bytes(Frames.frame(0xFFFFFFFFFFFFL, 0x525555000001L, 1, 60));
                    a.send(fromA);
                    b.receive(5_000);
                    a.send(fromA); // seen again: no second event
                    b.receive(5_000);
                    assertEquals("{\"notification_type\":\"connection_established\","
                            + "\"mac_address\":\"52:55:55:00:00:01\"}\n", received.poll(5, TimeUnit.SECONDS));
                }
                assertEquals("{\"notification_type\":\"connection_closed\",\"mac_address\":\"52:55:55:00:00:01\"}\n",
                        received.poll(5, TimeUnit.SECONDS));
                assertNull(received.poll(200, TimeUnit.MILLISECONDS), "B sent nothing, so nothing is said of B");
            } finally {
                net.close();
            }
        }
    }

    private static byte[] bytes(ByteBuf b) {
        byte[] out = new byte[b.readableBytes()];
        b.readBytes(out);
        b.release();
        return out;
    }
}
