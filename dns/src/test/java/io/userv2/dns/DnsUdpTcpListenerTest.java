package io.userv2.dns;

import static io.userv2.dns.DnsTestSupport.name;
import static io.userv2.dns.DnsTestSupport.query;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/** The standalone front end on 127.0.0.1, driven with plain JDK sockets. */
class DnsUdpTcpListenerTest {

    @TempDir Path dir;
    FakeUpstream upstream;
    DnsServer server;
    DnsUdpTcpListener listener;

    @BeforeEach
    void setUp() throws Exception {
        upstream = FakeUpstream.start();
        upstream.add(new ARecord(name("far.test"), DClass.IN, 60, DnsTestSupport.ip("10.5.5.5")));
        server = DnsServer.create(DnsTestSupport.config(dir, upstream, DnsTestSupport.HOSTS).build());
        listener = DnsUdpTcpListener.start(server, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    }

    @AfterEach
    void tearDown() throws Exception {
        listener.close();
        server.close();
        upstream.close();
    }

    @Test
    void udpQueries() throws Exception {
        try (DatagramSocket s = new DatagramSocket()) {
            s.setSoTimeout(5000);
            s.connect(listener.localAddress());
            for (String n : new String[] {"host.lima.internal", "web.test", "far.test"}) {
                byte[] q = query(n, Type.A, 100);
                s.send(new DatagramPacket(q, q.length));
                byte[] buf = new byte[4096];
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                s.receive(p);
                Message m = new Message(java.util.Arrays.copyOf(buf, p.getLength()));
                assertEquals(100, m.getHeader().getID());
                assertTrue(m.getSection(Section.ANSWER).size() >= 1, n);
            }
        }
    }

    @Test
    void pipelinedTcpQueriesInOneWrite() throws Exception {
        try (Socket s = new Socket()) {
            s.connect(listener.localAddress(), 5000);
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
            all.writeBytes(DnsTcpFramer.frame(query("host.lima.internal", Type.A, 1)));
            all.writeBytes(DnsTcpFramer.frame(query("web.test", Type.A, 2)));
            all.writeBytes(DnsTcpFramer.frame(query("far.test", Type.A, 3)));
            byte[] bytes = all.toByteArray();
            out.write(bytes, 0, 5); // split inside the second... first message
            out.flush();
            Thread.sleep(20);
            out.write(bytes, 5, bytes.length - 5);
            out.flush();
            DataInputStream in = new DataInputStream(s.getInputStream());
            Set<Integer> ids = new HashSet<>();
            for (int i = 0; i < 3; i++) {
                byte[] a = new byte[in.readUnsignedShort()];
                in.readFully(a);
                ids.add(new Message(a).getHeader().getID()); // answers may come in any order (RFC 7766)
            }
            assertEquals(Set.of(1, 2, 3), ids);
        }
    }

    @Test
    void halfClosedTcpStillGetsItsAnswer() throws Exception {
        try (Socket s = new Socket()) {
            s.connect(listener.localAddress(), 5000);
            s.setSoTimeout(5000);
            s.getOutputStream().write(DnsTcpFramer.frame(query("far.test", Type.A, 44)));
            s.shutdownOutput();
            DataInputStream in = new DataInputStream(s.getInputStream());
            byte[] a = new byte[in.readUnsignedShort()];
            in.readFully(a);
            assertEquals(44, new Message(a).getHeader().getID());
        }
    }
}
