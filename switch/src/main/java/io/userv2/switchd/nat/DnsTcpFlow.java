package io.userv2.switchd.nat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.userv2.dns.DnsServer;
import io.userv2.dns.DnsTcpFramer;
import io.userv2.dns.DnsTransport;
import io.userv2.stack.tcp.TcpConnection;
import io.userv2.stack.wire.MacAddress;
import java.util.ArrayDeque;

/**
 * DNS over TCP at the gateway (RFC 7766): queries arrive 2-byte-length-prefixed on a guest connection to port 53 of
 * the gateway, several per connection, and each answer (up to 65535 bytes) goes back framed the same way, possibly
 * out of order. The connection is closed once the guest has closed its side and every answer is sent.
 */
final class DnsTcpFlow extends TcpFlow {
    /** Serves TCP port 53 with {@code dns}. */
    static TcpNat.LocalService service(DnsServer dns) {
        return (conn, guestMac, nat) -> new DnsTcpFlow(conn, guestMac, nat, dns);
    }

    private final TcpNat nat;
    private final DnsServer dns;
    private final DnsTcpFramer framer = new DnsTcpFramer();
    private final ArrayDeque<byte[]> answers = new ArrayDeque<>();
    private int outstanding;

    private DnsTcpFlow(TcpConnection conn, MacAddress guestMac, TcpNat nat, DnsServer dns) {
        super(conn, guestMac);
        this.nat = nat;
        this.dns = dns;
    }

    @Override
    void pump(long now) {
        int available = conn.readableBytes();
        if (available > 0) {
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
    }

    private void query(byte[] message) {
        outstanding++;
        dns.answer(message, 0, message.length, DnsTransport.tcp()).thenAccept(answer -> {
            Runnable deliver = () -> {
                outstanding--;
                if (finished || answer.length == 0) {
                    return;
                }
                answers.add(DnsTcpFramer.frame(answer));
                nat.touch(this); // sent when the flow runs at the end of this loop iteration
            };
            if (nat.loop().inLoop()) {
                deliver.run();
            } else {
                nat.loop().execute(deliver);
            }
        });
    }

    @Override
    void closeOtherEnd(boolean reset) {
        answers.clear();
    }
}
