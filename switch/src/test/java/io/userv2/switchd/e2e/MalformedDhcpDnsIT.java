package io.userv2.switchd.e2e;

import static io.userv2.switchd.e2e.SwitchProcess.GATEWAY_IP;
import static io.userv2.switchd.e2e.SwitchProcess.GATEWAY_MAC;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * Malformed DHCP and DNS from a raw client on the LAN (hand-built frames through {@link RawPort}): garbage and
 * truncated BOOTP to port 67, garbage, truncated and hostile DNS messages to port 53, and UDP/IP headers that lie
 * about their lengths. Malformed DNS queries that carry an ID get a header-only FORMERR (or NOTIMP); responses and
 * runts get nothing. Afterwards the switch is alive, has logged no stack trace, and still serves a well-behaved
 * guest: its running udhcpc renews (SIGUSR1), dig answers, and a new guest gets a lease.
 */
class MalformedDhcpDnsIT {
    private static final String RAW_IP = "192.168.104.240";
    private static final Pattern BOUND = Pattern.compile("U2T-DHCP bound ip=(\\S+)");
    private static final Pattern RENEW = Pattern.compile("U2T-DHCP renew ip=(\\S+)");

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void malformedDhcpAndDnsAreDroppedAndTheGatewayKeepsServing() throws IOException {
        E2e.requireRoot();
        Path dir = E2e.socketDir();
        try (Closer c = new Closer()) {
            c.add(() -> E2e.deleteTree(dir));
            HermeticDns dns = c.add(HermeticDns.create(dir.resolve("dns"), "198.51.100.7 files.test\n", List.of("corp.test")));
            List<String> args = new ArrayList<>(List.of("--listen", dir.resolve("net.sock").toString()));
            args.addAll(dns.switchArgs());
            SwitchProcess sw = SwitchProcess.start(args);
            c.add(sw::stop);
            String sock = "unix:" + dir.resolve("net.sock");

            // A well-behaved guest with a long-running DHCP client.
            NamespaceGuest good = c.add(NamespaceGuest.start(NamespaceGuest.Options.unconfigured(sock)));
            LoggedProcess udhcpc = good.startDhcpClient("lima-good");
            String goodIp = udhcpc.requireLine(BOUND, 0, Duration.ofSeconds(30)).group(1);
            good.lease();

            RawPort raw = c.add(RawPort.connect(sock, E2e.randomMac(), RAW_IP));
            Random rnd = new Random(42);

            // ---- DHCP: garbage and truncated BOOTP, broadcast and unicast ----
            List<byte[]> dhcp = new ArrayList<>();
            dhcp.add(random(rnd, 10)); // shorter than a BOOTP header
            dhcp.add(random(rnd, 300)); // random bytes of a plausible size
            dhcp.add(random(rnd, 1400));
            dhcp.add(Arrays.copyOf(bootp(1, 0x1001, raw.mac(), 6), 236)); // header only: no magic cookie, no options
            dhcp.add(bootpWithOptions(0x1002, raw.mac(), 6, new byte[] {0x35, 0x01})); // message type: length 1, no value
            dhcp.add(bootpWithOptions(0x1003, raw.mac(), 6, new byte[] {0x35, 0x01, 0x01, 0x0c, 0x40, 'a', 'b'})); // hostname runs past the end
            dhcp.add(bootpWithOptions(0x1004, raw.mac(), 6, new byte[] {0x35, 0x01, 99, (byte) 0xff})); // unknown message type
            dhcp.add(bootpWithOptions(0x1005, raw.mac(), 200, new byte[] {0x35, 0x01, 0x01, (byte) 0xff})); // hlen 200
            dhcp.add(bootpWithOptions(0x1006, raw.mac(), 6, new byte[] {0x35, 0x01, 0x03, 0x32, 0x03, (byte) 192, (byte) 168, 104, (byte) 0xff})); // REQUEST, requested IP 3 bytes
            // Option overload (RFC 2132 9.3): the file field holds options, and its first one runs past the field's 128 bytes.
            byte[] overload = bootpWithOptions(0x1007, raw.mac(), 6, new byte[] {0x35, 0x01, 0x01, 0x34, 0x01, 0x01, (byte) 0xff});
            overload[108] = 0x0c;
            overload[109] = (byte) 200;
            dhcp.add(overload);
            byte[] reply = bootpWithOptions(0x1008, raw.mac(), 6, new byte[] {0x35, 0x01, 0x02, (byte) 0xff});
            reply[0] = 2; // a BOOTREPLY (OFFER) sent to the server
            dhcp.add(reply);
            byte[] noEnd = bootpWithOptions(0x1009, raw.mac(), 6, new byte[] {0x35, 0x01, 0x01, 0x37, 0x7f}); // parameter list of 127 past the end
            dhcp.add(noEnd);
            for (byte[] payload : dhcp) {
                raw.send(Frames.udp(raw.mac(), "ff:ff:ff:ff:ff:ff", "0.0.0.0", "255.255.255.255", 68, 67, payload));
                raw.send(Frames.udp(raw.mac(), GATEWAY_MAC, RAW_IP, GATEWAY_IP, 68, 67, payload));
            }
            // UDP and IP headers that lie: UDP length beyond the datagram, IP total length beyond the frame, a bad
            // IP header checksum, an IP header length of 15 words in a short packet.
            byte[] discover = bootpWithOptions(0x100a, raw.mac(), 6, new byte[] {0x35, 0x01, 0x01, (byte) 0xff});
            byte[] f = Frames.udp(raw.mac(), "ff:ff:ff:ff:ff:ff", "0.0.0.0", "255.255.255.255", 68, 67, discover);
            raw.send(withShort(f, 14 + 20 + 4, 2000)); // UDP length 2000
            raw.send(Arrays.copyOf(f, 14 + 20 + 8 + 50)); // cut: IP says 290 more bytes than there are
            raw.send(withShort(f, 14 + 10, 0x1234)); // IP header checksum wrong
            byte[] ihl = f.clone();
            ihl[14] = 0x4f;
            raw.send(Arrays.copyOf(ihl, 14 + 40));
            // None of that may have produced a DHCP answer to the raw client.

            // ---- DNS: garbage, truncated and hostile messages ----
            raw.send(dnsFrame(raw, new byte[0])); // empty datagram: nothing to answer
            raw.send(dnsFrame(raw, new byte[] {0x12})); // 1 byte: not even an ID
            raw.send(dnsFrame(raw, random(rnd, 1400)));
            byte[] cut = hex("beef01000001000000000000" + "32616263"); // label of 50 announced, 3 bytes there
            raw.send(dnsFrame(raw, cut));
            byte[] loop = hex("c0de01000001000000000000" + "c00c00010001"); // name = pointer to itself
            raw.send(dnsFrame(raw, loop));
            byte[] noQuestion = hex("d00d01000000000000000000"); // QDCOUNT 0
            raw.send(dnsFrame(raw, noQuestion));
            byte[] twoQuestions = hex("d11d01000002000000000000" + "04686f7374046c696d6108696e7465726e616c0000010001"); // QDCOUNT 2, one there
            raw.send(dnsFrame(raw, twoQuestions));
            byte[] update = hex("e00e28000001000000000000" + "04686f7374046c696d6108696e7465726e616c0000060001"); // opcode UPDATE
            raw.send(dnsFrame(raw, update));
            byte[] response = hex("f00f81800001000100000000" + "04686f7374046c696d6108696e7465726e616c0000010001"); // QR=1
            raw.send(dnsFrame(raw, response));
            byte[] hugeCount = hex("f11f0100ffffffffffffffff" + "0000010001"); // absurd section counts
            raw.send(dnsFrame(raw, hugeCount));
            // A correct query last: internal names are answered in order on the switch's loop, so once this answer
            // is here every earlier message has been dealt with.
            Message q = Message.newQuery(Record.newRecord(Name.fromString("host.lima.internal."), Type.A, DClass.IN));
            q.getHeader().setID(0x7777);
            raw.send(dnsFrame(raw, q.toWire()));
            Message ok = dnsAnswer(raw, 0x7777).orElseThrow(() -> new AssertionError("no answer to a valid query after garbage\n" + sw.output()));
            assertEquals(Rcode.NOERROR, ok.getRcode(), ok.toString());
            List<Record> as = ok.getSection(Section.ANSWER);
            assertEquals(1, as.size(), ok.toString());
            assertEquals(GATEWAY_IP, ((ARecord) as.get(0)).getAddress().getHostAddress(), ok.toString());

            assertRcode(raw, 0xbeef, Rcode.FORMERR, "question cut short");
            assertRcode(raw, 0xc0de, Rcode.FORMERR, "compression pointer loop");
            assertRcode(raw, 0xd00d, Rcode.FORMERR, "QDCOUNT 0");
            assertRcode(raw, 0xd11d, Rcode.FORMERR, "QDCOUNT 2 with one question");
            assertRcode(raw, 0xe00e, Rcode.NOTIMP, "opcode UPDATE");
            assertRcode(raw, 0xf11f, Rcode.FORMERR, "section counts 65535");
            assertTrue(dnsAnswer(raw, 0xf00f).isEmpty(), "a DNS response sent to the server must not be answered (loops)");
            List<String> answered = raw.received(MalformedDhcpDnsIT::isDhcpReply).stream().map(MalformedDhcpDnsIT::describeDhcp).toList();
            assertTrue(answered.isEmpty(), "the DHCP server answered malformed input: " + answered + "\nswitch log:\n" + sw.output());

            // ---- still serving: a valid DISCOVER from the raw client gets an OFFER ----
            raw.send(Frames.udp(raw.mac(), "ff:ff:ff:ff:ff:ff", "0.0.0.0", "255.255.255.255", 68, 67, discover));
            byte[] offer = raw.await(b -> isDhcpReply(b) && xid(b) == 0x100a, Duration.ofSeconds(10))
                    .orElseThrow(() -> new AssertionError("no OFFER to a valid DISCOVER after the garbage\n" + sw.output()));
            String offered = Frames.ipString(offer, 14 + 20 + 8 + 16);
            assertTrue(offered.startsWith("192.168.104.") && !offered.equals(goodIp), "offered " + offered);

            // ---- the well-behaved guest: its udhcpc renews, dig works, a new guest gets a lease ----
            int from = udhcpc.lineCount();
            Exec.run(Duration.ofSeconds(10), "kill", "-USR1", Long.toString(udhcpc.pid())).assertOk();
            String renewed = udhcpc.requireLine(RENEW, from, Duration.ofSeconds(30)).group(1);
            assertEquals(goodIp, renewed, "renewal moved the guest");
            assertEquals(List.of(goodIp), Dig.run(good, "lima-good.internal").reply().data("A"));
            assertEquals(List.of("198.51.100.7"), Dig.run(good, "files.test").reply().data("A"));
            assertEquals(List.of(GATEWAY_IP), Dig.run(good, "host.lima.internal").reply().data("A"));
            NamespaceGuest late = c.add(NamespaceGuest.start(NamespaceGuest.Options.unconfigured(sock)));
            String lateIp = late.dhcp("lima-late").ip();
            assertNotEquals(goodIp, lateIp);
            late.assertPings(goodIp, 2);

            assertTrue(sw.isAlive(), "switch died:\n" + sw.output());
            assertFalse(sw.output().contains("\tat ") || sw.output().contains("Exception in thread"),
                    "malformed input was thrown through the packet path (stack trace in the log):\n" + sw.output());
        }
    }

    // ---- frames ----

    private static byte[] random(Random rnd, int n) {
        byte[] b = new byte[n];
        rnd.nextBytes(b);
        return b;
    }

    private static byte[] hex(String s) {
        return java.util.HexFormat.of().parseHex(s);
    }

    private static byte[] withShort(byte[] frame, int offset, int value) {
        byte[] f = frame.clone();
        f[offset] = (byte) (value >> 8);
        f[offset + 1] = (byte) value;
        return f;
    }

    /** RFC 2131 section 2: the fixed 236-byte BOOTP header (op, htype 1, hlen, xid, flags: broadcast) plus the magic cookie. */
    private static byte[] bootp(int op, int xid, String mac, int hlen) {
        ByteBuffer b = ByteBuffer.allocate(240);
        b.put((byte) op).put((byte) 1).put((byte) hlen).put((byte) 0).putInt(xid).putShort((short) 0).putShort((short) 0x8000);
        b.put(new byte[16]); // ciaddr yiaddr siaddr giaddr
        b.put(Frames.mac(mac)).put(new byte[10]); // chaddr
        b.put(new byte[64 + 128]); // sname, file
        b.putInt(0x63825363);
        return b.array();
    }

    private static byte[] bootpWithOptions(int xid, String mac, int hlen, byte[] options) {
        byte[] head = bootp(1, xid, mac, hlen);
        byte[] out = Arrays.copyOf(head, head.length + options.length);
        System.arraycopy(options, 0, out, head.length, options.length);
        return out;
    }

    private static boolean isDhcpReply(byte[] f) {
        if (!Frames.isIpv4(f, 17)) {
            return false;
        }
        int udp = 14 + Frames.ipHeaderLength(f);
        return f.length >= udp + 8 + 240 && port(f, udp) == 67 && port(f, udp + 2) == 68;
    }

    /** "xid 0x1003 OFFER 192.168.104.4 -> 255.255.255.255" for failure messages. */
    private static String describeDhcp(byte[] f) {
        int bootp = 14 + Frames.ipHeaderLength(f) + 8;
        int end = 14 + Frames.ipTotalLength(f);
        String type = "?";
        for (int i = bootp + 240; i + 1 < end; ) {
            int code = f[i] & 0xff;
            if (code == 0) {
                i++;
                continue;
            }
            if (code == 255) {
                break;
            }
            int len = f[i + 1] & 0xff;
            if (code == 53 && len == 1 && i + 2 < end) {
                int t = f[i + 2] & 0xff;
                type = switch (t) {
                    case 2 -> "OFFER";
                    case 5 -> "ACK";
                    case 6 -> "NAK";
                    default -> "type " + t;
                };
            }
            i += 2 + len;
        }
        return String.format("xid 0x%x %s yiaddr %s -> %s", xid(f), type, Frames.ipString(f, bootp + 16), Frames.ipString(f, 30));
    }

    private static int xid(byte[] f) {
        int bootp = 14 + Frames.ipHeaderLength(f) + 8;
        return ByteBuffer.wrap(f, bootp + 4, 4).getInt();
    }

    private static int port(byte[] f, int off) {
        return ((f[off] & 0xff) << 8) | (f[off + 1] & 0xff);
    }

    private static byte[] dnsFrame(RawPort raw, byte[] payload) {
        return Frames.udp(raw.mac(), GATEWAY_MAC, raw.ip(), GATEWAY_IP, 40053, 53, payload);
    }

    /** The DNS message from the gateway's port 53 to the raw client with {@code id}, if one came (within 2 s). */
    private static Optional<Message> dnsAnswer(RawPort raw, int id) {
        return raw.await(f -> {
            if (!Frames.isIpv4(f, 17) || !Frames.ipString(f, 26).equals(GATEWAY_IP)) {
                return false;
            }
            int udp = 14 + Frames.ipHeaderLength(f);
            return port(f, udp) == 53 && f.length >= udp + 8 + 12 && port(f, udp + 8) == id;
        }, Duration.ofSeconds(2)).map(f -> {
            int udp = 14 + Frames.ipHeaderLength(f);
            int end = 14 + Frames.ipTotalLength(f);
            try {
                return new Message(Arrays.copyOfRange(f, udp + 8, end));
            } catch (IOException e) {
                throw new AssertionError("unparseable DNS answer from the gateway: " + java.util.HexFormat.of().formatHex(f), e);
            }
        });
    }

    private static void assertRcode(RawPort raw, int id, int rcode, String what) {
        Message m = dnsAnswer(raw, id).orElseThrow(() -> new AssertionError(what + ": no answer (expected " + Rcode.string(rcode) + ")"));
        assertEquals(Rcode.string(rcode), Rcode.string(m.getRcode()), what + ": " + m);
        assertTrue(m.getHeader().getFlag(org.xbill.DNS.Flags.QR), what + ": QR not set");
    }
}
