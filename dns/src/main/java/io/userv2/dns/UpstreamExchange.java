package io.userv2.dns;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.Arrays;
import java.util.List;

/**
 * Sends one raw DNS query to upstream nameservers and returns the first valid raw reply: UDP first, each server in
 * turn (at most {@code attemptsPerServer} rounds, each attempt at most {@code attemptTimeout}), all within one
 * deadline; when asked, a truncated UDP reply is retried over TCP on the same server. A reply is valid when it is a
 * response with the query's ID and the same question (compared case-insensitively).
 *
 * <p>Every exchange uses its own fresh socket (a random source port per query, so IDs of different clients never
 * collide). Blocking: call from worker threads only. Stateless apart from its settings, so thread-safe.
 */
final class UpstreamExchange {

    /**
     * Each worker thread's receive buffer for UDP replies (a reply is copied out at its own length): a fresh
     * 64 KiB array per query was most of what a DNS load allocated.
     */
    private static final ThreadLocal<byte[]> RECEIVE_BUFFER =
            ThreadLocal.withInitial(() -> new byte[DnsTransport.MAX_MESSAGE]);

    private final long attemptTimeoutNanos;
    private final int attemptsPerServer;

    UpstreamExchange(long attemptTimeoutNanos, int attemptsPerServer) {
        this.attemptTimeoutNanos = attemptTimeoutNanos;
        this.attemptsPerServer = Math.max(1, attemptsPerServer);
    }

    /**
     * @param query the raw query; not modified or retained
     * @param servers the upstreams, in order; not empty
     * @param tcpOnTruncation retry over TCP when the UDP reply has TC set
     * @param deadlineNanos {@link System#nanoTime()} after which no more attempts are made
     * @return a fresh array holding the reply
     * @throws IOException when no server gave a valid reply in time
     */
    byte[] exchange(byte[] query, List<InetSocketAddress> servers, boolean tcpOnTruncation, long deadlineNanos)
            throws IOException {
        IOException last = null;
        for (int round = 0; round < attemptsPerServer; round++) {
            for (InetSocketAddress server : servers) {
                long remaining = deadlineNanos - System.nanoTime();
                if (remaining <= 0) {
                    throw timeout(last);
                }
                long attemptDeadline = System.nanoTime() + Math.min(remaining, attemptTimeoutNanos);
                try {
                    byte[] reply = udp(query, server, attemptDeadline);
                    if (tcpOnTruncation && truncated(reply)) {
                        try {
                            return tcp(query, server, Math.max(deadlineNanos, attemptDeadline));
                        } catch (IOException e) {
                            return reply; // a truncated answer is better than none
                        }
                    }
                    return reply;
                } catch (IOException e) {
                    last = e;
                }
            }
        }
        throw timeout(last);
    }

    /** Sends over TCP only (for callers that already know UDP will not do). */
    byte[] exchangeTcp(byte[] query, InetSocketAddress server, long deadlineNanos) throws IOException {
        return tcp(query, server, deadlineNanos);
    }

    private static IOException timeout(IOException cause) {
        return cause instanceof SocketTimeoutException || cause == null
                ? new SocketTimeoutException("no upstream nameserver answered in time")
                : new IOException("no upstream nameserver answered: " + cause.getMessage(), cause);
    }

    private static byte[] udp(byte[] query, InetSocketAddress server, long deadlineNanos) throws IOException {
        try (DatagramSocket s = new DatagramSocket()) {
            s.connect(server);
            s.send(new DatagramPacket(query, query.length));
            byte[] buf = RECEIVE_BUFFER.get();
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            // Bounded: every turn either returns, or waits at most the remaining time, which shrinks to zero.
            while (true) {
                int ms = remainingMillis(deadlineNanos);
                s.setSoTimeout(ms);
                p.setLength(buf.length);
                s.receive(p);
                if (matches(query, buf, p.getLength())) {
                    return Arrays.copyOf(buf, p.getLength());
                }
            }
        }
    }

    private static byte[] tcp(byte[] query, InetSocketAddress server, long deadlineNanos) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(server, remainingMillis(deadlineNanos));
            s.setSoTimeout(remainingMillis(deadlineNanos));
            s.setTcpNoDelay(true);
            OutputStream out = s.getOutputStream();
            out.write(DnsTcpFramer.frame(query));
            out.flush();
            DataInputStream in = new DataInputStream(s.getInputStream());
            // Bounded: at most a few replies fit before the deadline; each read is limited by the socket timeout.
            for (int i = 0; i < 16; i++) {
                s.setSoTimeout(remainingMillis(deadlineNanos));
                int len = in.readUnsignedShort();
                byte[] reply = readFully(in, len);
                if (matches(query, reply, reply.length)) {
                    return reply;
                }
            }
            throw new IOException("no matching reply over TCP from " + server);
        }
    }

    private static byte[] readFully(InputStream in, int len) throws IOException {
        byte[] b = new byte[len];
        new DataInputStream(in).readFully(b);
        return b;
    }

    private static int remainingMillis(long deadlineNanos) throws SocketTimeoutException {
        long ms = (deadlineNanos - System.nanoTime()) / 1_000_000L;
        if (ms <= 0) {
            throw new SocketTimeoutException("deadline passed");
        }
        return (int) Math.min(Integer.MAX_VALUE, ms);
    }

    static boolean truncated(byte[] reply) {
        return reply.length >= 3 && (reply[2] & 0x02) != 0;
    }

    /** Same ID, QR set, and (when the reply carries one) the same question. */
    static boolean matches(byte[] query, byte[] reply, int replyLength) {
        if (replyLength < 12 || reply[0] != query[0] || reply[1] != query[1] || (reply[2] & 0x80) == 0) {
            return false;
        }
        int qdcount = ((reply[4] & 0xff) << 8) | (reply[5] & 0xff);
        if (qdcount == 0) {
            return true; // e.g. a FORMERR without question: accept, the ID matched
        }
        int end = questionEnd(query, query.length);
        if (end < 0 || replyLength < end) {
            return end < 0;
        }
        for (int i = 12; i < end; i++) {
            if (Character.toLowerCase((char) (query[i] & 0xff)) != Character.toLowerCase((char) (reply[i] & 0xff))) {
                return false;
            }
        }
        return true;
    }

    /** The offset just past the first question (uncompressed name + type + class), or -1. */
    static int questionEnd(byte[] msg, int length) {
        int i = 12;
        for (int labels = 0; labels < 128; labels++) {
            if (i >= length) {
                return -1;
            }
            int len = msg[i] & 0xff;
            if (len == 0) {
                i += 1 + 4;
                return i <= length ? i : -1;
            }
            if ((len & 0xc0) != 0) {
                return -1; // a pointer (or reserved bits) in the first name: do not compare
            }
            i += 1 + len;
        }
        return -1;
    }
}
