package io.userv2.dns;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Type;

class DnsTcpFramerTest {

    private static byte[] stream(byte[]... messages) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] m : messages) {
            out.writeBytes(DnsTcpFramer.frame(m));
        }
        return out.toByteArray();
    }

    private final byte[] q1 = DnsTestSupport.query("a.test", Type.A, 1);
    private final byte[] q2 = DnsTestSupport.query("bb.test", Type.AAAA, 2);
    private final byte[] q3 = DnsTestSupport.query("ccc.test", Type.MX, 3);

    @Test
    void frameWritesTheLengthPrefix() {
        byte[] f = DnsTcpFramer.frame(new byte[300]);
        assertEquals(302, f.length);
        assertEquals(1, f[0]);
        assertEquals(44, f[1]);
        assertThrows(IllegalArgumentException.class, () -> DnsTcpFramer.frame(new byte[65536]));
    }

    @Test
    void severalQueriesInOneChunk() {
        List<byte[]> got = new ArrayList<>();
        DnsTcpFramer f = new DnsTcpFramer();
        ByteBuffer in = ByteBuffer.wrap(stream(q1, q2, q3));
        assertEquals(3, f.feed(in, got::add));
        assertEquals(0, in.remaining());
        assertEquals(3, got.size());
        assertArrayEquals(q1, got.get(0));
        assertArrayEquals(q2, got.get(1));
        assertArrayEquals(q3, got.get(2));
        assertEquals(0, f.pendingBytes());
    }

    @Test
    void byteByByteAndRandomSplits() {
        byte[] s = stream(q1, q2, q3, new byte[0], q1);
        List<byte[]> got = new ArrayList<>();
        DnsTcpFramer f = new DnsTcpFramer();
        for (byte b : s) {
            f.feed(new byte[] {b}, 0, 1, got::add);
        }
        assertEquals(5, got.size());
        assertArrayEquals(q3, got.get(2));
        assertEquals(0, got.get(3).length, "a zero length prefix yields an empty message");

        Random r = new Random(42);
        for (int round = 0; round < 200; round++) {
            List<byte[]> out = new ArrayList<>();
            DnsTcpFramer g = new DnsTcpFramer();
            int i = 0;
            while (i < s.length) {
                int n = Math.min(s.length - i, 1 + r.nextInt(40));
                g.feed(s, i, n, out::add);
                i += n;
            }
            assertEquals(5, out.size());
            assertArrayEquals(q1, out.get(4));
        }
    }

    @Test
    void partialStateIsReported() {
        byte[] s = stream(q1);
        DnsTcpFramer f = new DnsTcpFramer();
        List<byte[]> got = new ArrayList<>();
        f.feed(s, 0, 1, got::add);
        assertEquals(1, f.pendingBytes());
        f.feed(s, 1, 5, got::add);
        assertEquals(6, f.pendingBytes());
        f.reset();
        assertEquals(0, f.pendingBytes());
        f.feed(s, 0, s.length, got::add);
        assertEquals(1, got.size());
    }

    @Test
    void framedQueriesDriveTheServer() throws Exception {
        try (DnsServer server = DnsServer.create(DnsConfig.builder()
                .resolvConf(java.nio.file.Path.of("/nonexistent/resolv.conf"))
                .upstreams(List.of(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 9)))
                .hostResolver(HostsFileResolver.parse(""))
                .build())) {
            byte[] a = DnsTestSupport.query("host.lima.internal", Type.A, 11);
            byte[] b = DnsTestSupport.query("gateway.lima.internal", Type.A, 12);
            byte[] s = stream(a, b);
            List<Integer> ids = new ArrayList<>();
            DnsTcpFramer f = new DnsTcpFramer();
            f.feed(s, 0, 7, m -> ids.add(answerId(server, m)));
            f.feed(s, 7, s.length - 7, m -> ids.add(answerId(server, m)));
            assertEquals(List.of(11, 12), ids);
        }
    }

    private static int answerId(DnsServer server, byte[] q) {
        try {
            byte[] a = server.answer(q, 0, q.length, DnsTransport.tcp()).get();
            return new org.xbill.DNS.Message(a).getHeader().getID();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
