package io.userv2.switchd.e2e;

import static io.userv2.switchd.e2e.SwitchProcess.GATEWAY_IP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * DNS over TCP at the gateway (RFC 7766), as a user's dig sees it: internal names, answers far larger than a
 * datagram (40 A records from the hosts file; ~20 KB of TXT from the local upstream, forwarded over TCP), the
 * automatic UDP -> TCP retry after TC, and several queries on one connection ({@code dig +keepopen}), which the
 * switch's capture must show as a single TCP handshake.
 */
class DnsTcpIT {
    private static final int BIG_TXT_RECORDS = 100;

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void dnsOverTcpAtTheGateway() {
        E2e.requireRoot();
        Path dir = E2e.socketDir();
        Path pcap = E2e.workdir().resolve("dns-tcp-" + E2e.randomHex(3) + ".pcap");
        try (Closer c = new Closer()) {
            c.add(() -> E2e.deleteTree(dir));
            StringBuilder hosts = new StringBuilder();
            IntStream.rangeClosed(1, 40).forEach(i -> hosts.append("198.51.100.").append(100 + i).append(" many.test\n"));
            HermeticDns dns = c.add(HermeticDns.create(dir.resolve("dns"), hosts.toString(), List.of("corp.test")));
            for (int i = 0; i < BIG_TXT_RECORDS; i++) {
                dns.upstream().addTxt("big.corp.test", String.format("record %03d ", i) + "y".repeat(180));
            }
            List<String> args = new ArrayList<>(List.of("--listen", dir.resolve("net.sock").toString(), "--pcap", pcap.toString()));
            args.addAll(dns.switchArgs());
            SwitchProcess sw = SwitchProcess.start(args);
            c.add(sw::close);
            String sock = "unix:" + dir.resolve("net.sock");
            NamespaceGuest vm1 = c.add(NamespaceGuest.start(NamespaceGuest.Options.unconfigured(sock)));
            vm1.dhcp("lima-vm1");
            NamespaceGuest vm2 = c.add(NamespaceGuest.start(NamespaceGuest.Options.unconfigured(sock)));
            vm2.dhcp("lima-vm2");

            // An internal name over TCP.
            Dig d = Dig.run(vm2, "+tcp", "@" + GATEWAY_IP, "lima-vm1.internal");
            assertEquals("NOERROR", d.reply().status(), d.toString());
            assertEquals(List.of(vm1.ip()), d.reply().data("A"), d.toString());
            assertTrue(d.raw().output().contains("(TCP)"), "dig did not use TCP: " + d);

            // An answer that UDP has to truncate comes back whole over TCP.
            d = Dig.run(vm2, "+tcp", "many.test");
            assertFalse(d.reply().truncated(), d.toString());
            assertEquals(40, d.reply().data("A").size(), d.toString());
            // ... and a plain dig, told TC over UDP, retries over TCP by itself and gets all of it.
            d = Dig.run(vm2, "+noedns", "many.test");
            assertTrue(d.raw().output().contains("Truncated, retrying in TCP mode"), "expected a UDP answer with TC first: " + d);
            assertEquals(40, d.reply().data("A").size(), d.toString());

            // A forwarded answer of ~20 KB (many TCP segments both ways: upstream -> switch -> guest).
            d = Dig.run(vm2, "+tcp", "big.corp.test", "TXT");
            assertEquals("NOERROR", d.reply().status(), d.toString());
            assertEquals(BIG_TXT_RECORDS, d.reply().data("TXT").size(), "TXT records over TCP: " + d.reply().size() + " bytes");
            assertTrue(d.reply().size() > 18_000, "answer size " + d.reply().size());
            assertTrue(dns.upstream().tcpQueries() > 0, "the upstream was never asked over TCP");

            // Several queries on one connection (RFC 7766 6.2.1), from a guest that asks nothing else over TCP.
            NamespaceGuest ka = c.add(NamespaceGuest.start(NamespaceGuest.Options.unconfigured(sock)));
            ka.dhcp("lima-ka");
            d = Dig.run(ka, "+tcp", "+keepopen", "lima-vm1.internal", "many.test", "big.corp.test", "TXT", "lima-vm2.internal");
            assertEquals(4, d.replies().size(), "expected 4 answers on one connection: " + d);
            assertEquals(List.of(vm1.ip()), d.replies().get(0).data("A"), d.toString());
            assertEquals(40, d.replies().get(1).data("A").size(), d.toString());
            assertEquals(BIG_TXT_RECORDS, d.replies().get(2).data("TXT").size(), "TXT records on the kept-open connection");
            assertEquals(List.of(vm2.ip()), d.replies().get(3).data("A"), d.toString());
            assertTrue(sw.isAlive(), sw.output());

            sw.stop(); // flushes the capture
            List<Integer> synPorts = synsTo(pcap, ka.ip(), GATEWAY_IP, 53);
            assertEquals(1, synPorts.size(), "dig +keepopen should open exactly one TCP connection; SYNs from source ports " + synPorts);
        } finally {
            try {
                Files.deleteIfExists(pcap);
            } catch (IOException ignored) {
                // best effort
            }
        }
    }

    /**
     * Source ports of the TCP SYNs (without ACK) from {@code src} to {@code dst}:{@code port} in a classic pcap file
     * (LINKTYPE_ETHERNET), read here directly so the count does not depend on any other tool.
     */
    static List<Integer> synsTo(Path pcap, String src, String dst, int port) {
        byte[] all;
        try {
            all = Files.readAllBytes(pcap);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ByteBuffer b = ByteBuffer.wrap(all);
        int magic = b.getInt(0);
        if (magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1) {
            b.order(ByteOrder.LITTLE_ENDIAN);
        } else if (magic != 0xa1b2c3d4 && magic != 0xa1b23c4d) {
            throw new AssertionError("not a pcap file: " + pcap);
        }
        List<Integer> ports = new ArrayList<>();
        int off = 24;
        while (off + 16 <= all.length) {
            int incl = b.getInt(off + 8);
            int at = off + 16;
            off = at + incl;
            if (incl < 14 + 20 + 20 || off > all.length) {
                continue;
            }
            byte[] f = java.util.Arrays.copyOfRange(all, at, at + incl);
            if (!Frames.isIpv4(f, 6) || !Frames.ipString(f, 26).equals(src) || !Frames.ipString(f, 30).equals(dst)) {
                continue;
            }
            int tcp = 14 + Frames.ipHeaderLength(f);
            int dport = ((f[tcp + 2] & 0xff) << 8) | (f[tcp + 3] & 0xff);
            int flags = f[tcp + 13] & 0xff;
            if (dport == port && (flags & 0x02) != 0 && (flags & 0x10) == 0) {
                ports.add(((f[tcp] & 0xff) << 8) | (f[tcp + 1] & 0xff));
            }
        }
        return ports;
    }
}
