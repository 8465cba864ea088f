package io.userv2.switchd.nat;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.NativeLong;
import io.netty.buffer.ByteBuf;
import io.userv2.stack.nat.HostPingSocket;
import io.userv2.stack.nat.NatEngine;
import io.userv2.stack.nat.NatIcmpFlow;
import io.userv2.switchd.loop.EventLoop;
import java.io.IOException;

/**
 * The host end of one NAT'd ICMP or ICMPv6 echo flow: a non-blocking Linux ping socket connected to the flow's translated
 * destination, opened by {@link PingSockets}, whose readiness the {@link PingPoller} reports. The kernel gives the
 * socket an identifier of its own, writes it into every request and the checksum with it, and hands over the echo
 * replies carrying it, without their IP header (icmp(7)). Loop thread only.
 *
 * <p>Copies go through {@link PingSockets}' one scratch block of native memory, so no buffer has to be direct.
 */
final class PingSocket implements HostPingSocket {
    private final Libc libc;
    private final int fd;
    /** The destination's address bytes as {@code recvfrom} reports them (sin_addr or sin6_addr, network order). */
    private final byte[] destination;
    /** Where the address starts in the {@code struct sockaddr_in} or {@code sockaddr_in6} recvfrom fills in. */
    private final int addressAt;
    private final Memory scratch;
    private final EventLoop loop;
    private final NatEngine engine;
    /** Room for a {@code struct sockaddr_in6} (28 bytes), the larger of the two. */
    private final byte[] from = new byte[28];
    private final int[] fromLength = new int[1];
    private NatIcmpFlow flow;
    private PingPoller.Registration registration;
    private boolean closed;

    /**
     * A socket on {@code fd} connected to {@code destination} (4 or 16 address bytes, network order), which
     * {@code recvfrom} reports at {@code addressAt} of the socket address.
     */
    PingSocket(Libc libc, int fd, byte[] destination, int addressAt, Memory scratch, EventLoop loop,
            NatEngine engine) {
        this.libc = libc;
        this.fd = fd;
        this.destination = destination.clone();
        this.addressAt = addressAt;
        this.scratch = scratch;
        this.loop = loop;
        this.engine = engine;
    }

    /** Starts reporting replies for {@code f}. */
    void register(NatIcmpFlow f, PingPoller poller) {
        flow = f;
        registration = poller.register(fd, this::ready);
    }

    private void ready() {
        if (closed) {
            return;
        }
        engine.hostReadable(flow, loop.now());
        if (!closed) {
            registration.arm(); // one-shot: what is still queued is reported again at once
        }
    }

    @Override
    public boolean send(ByteBuf message) throws IOException {
        int n = message.readableBytes();
        if (n > scratch.size()) {
            throw new IOException("ICMP message of " + n + " bytes");
        }
        message.getBytes(message.readerIndex(), scratch.getByteBuffer(0, n));
        try {
            libc.send(fd, scratch, new NativeLong(n), 0);
            return true;
        } catch (LastErrorException e) {
            int errno = e.getErrorCode();
            if (errno == Libc.EAGAIN || errno == Libc.ENOBUFS) {
                return false;
            }
            throw PingSockets.failure("send", e, libc);
        }
    }

    @Override
    public int receive(ByteBuf dst) throws IOException {
        while (true) {
            fromLength[0] = from.length;
            long n;
            try {
                n = libc.recvfrom(fd, scratch, new NativeLong(Math.min(scratch.size(), dst.writableBytes())), 0,
                        from, fromLength).longValue();
            } catch (LastErrorException e) {
                if (e.getErrorCode() == Libc.EAGAIN) {
                    return NONE;
                }
                throw PingSockets.failure("recvfrom", e, libc);
            }
            // The kernel matches replies by identifier only (ping_lookup), not by who sent them: a reply from any
            // other address is no answer to this flow's requests.
            if (!java.util.Arrays.equals(from, addressAt, addressAt + destination.length, destination, 0,
                    destination.length)) {
                continue;
            }
            int length = (int) n;
            dst.writeBytes(scratch.getByteBuffer(0, length));
            return length;
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (registration != null) {
            registration.close();
        }
        try {
            libc.close(fd);
        } catch (LastErrorException ignored) {
            // the descriptor is released either way (close(2))
        }
    }

    @Override
    public String toString() {
        return String.valueOf(flow);
    }
}
