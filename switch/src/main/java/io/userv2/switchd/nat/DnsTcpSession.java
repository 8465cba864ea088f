package io.userv2.switchd.nat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.userv2.dns.DnsServer;
import io.userv2.dns.DnsTcpFramer;
import io.userv2.dns.DnsTransport;
import io.userv2.stack.nat.LocalTcpService;
import io.userv2.stack.tcp.TcpConnection;
import io.userv2.switchd.loop.EventLoop;
import java.util.ArrayDeque;

/**
 * DNS over TCP at the gateway (RFC 7766): queries arrive 2-byte-length-prefixed on a guest connection to port 53 of
 * the gateway, several per connection, and each answer (up to 65535 bytes) goes back framed the same way, possibly
 * out of order. The session closes its side once the guest has closed its own and every answer is sent; the NAT
 * engine closes sessions that stay idle. Answers are computed on the DNS server's threads and handed back to the
 * event loop.
 */
final class DnsTcpSession implements LocalTcpService.LocalTcpSession {
    /** Most queries one connection may have outstanding; more wait in the connection's receive buffer. */
    private static final int MAX_OUTSTANDING = 64;

    /** Serves TCP port 53 with {@code dns}, answers handed back on {@code loop}. */
    static LocalTcpService service(DnsServer dns, EventLoop loop) {
        return (conn, owner, wake) -> new DnsTcpSession(dns, loop, wake);
    }

    private final DnsServer dns;
    private final EventLoop loop;
    private final Runnable wake;
    private final DnsTcpFramer framer = new DnsTcpFramer();
    private final ArrayDeque<byte[]> answers = new ArrayDeque<>();
    private int outstanding;
    private boolean closed;

    private DnsTcpSession(DnsServer dns, EventLoop loop, Runnable wake) {
        this.dns = dns;
        this.loop = loop;
        this.wake = wake;
    }

    @Override
    public boolean pump(TcpConnection conn, long now) {
        int available = conn.readableBytes();
        if (available > 0 && outstanding < MAX_OUTSTANDING) {
            ByteBuf in = conn.recv(available);
            try {
                byte[] bytes = new byte[in.readableBytes()];
                in.readBytes(bytes);
                framer.feed(bytes, 0, bytes.length, this::query);
            } finally {
                in.release();
            }
        }
        while (!answers.isEmpty() && conn.canSend() && conn.sendCapacity() >= answers.peek().length) {
            conn.send(Unpooled.wrappedBuffer(answers.poll()));
        }
        if (conn.isRecvFinished() && outstanding == 0 && answers.isEmpty() && conn.canSend()) {
            conn.shutdownSend();
        }
        return outstanding > 0 || !answers.isEmpty();
    }

    private void query(byte[] message) {
        outstanding++;
        dns.answer(message, 0, message.length, DnsTransport.tcp()).thenAccept(answer -> {
            Runnable deliver = () -> {
                outstanding--;
                if (closed) {
                    return;
                }
                if (answer.length > 0) {
                    answers.add(DnsTcpFramer.frame(answer));
                }
                wake.run(); // sent when the flow runs at the end of this loop iteration
            };
            if (loop.inLoop()) {
                deliver.run();
            } else {
                loop.execute(deliver);
            }
        });
    }

    @Override
    public void close() {
        closed = true;
        answers.clear();
    }
}
