package io.userv2.switchd.nat;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import io.userv2.stack.nat.HostPingSocket;
import io.userv2.stack.nat.NatEngine;
import io.userv2.stack.nat.NatIcmpFlow;
import io.userv2.stack.nat.PingSocketsUnavailable;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.Ipv6Address;
import io.userv2.switchd.loop.EventLoop;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Opens the NAT's ping sockets: {@code socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, IPPROTO_ICMP)}, and for ICMPv6
 * {@code socket(AF_INET6, ..., IPPROTO_ICMPV6)} (allowed by the same sysctl), through JNA (the JDK has none), connected to the flow's destination and watched by a {@link PingPoller}. Linux lets a process open
 * one only when its group is inside {@code net.ipv4.ping_group_range} (icmp(7): "socket(2) fails with EACCES"),
 * which many systems leave at {@code "1 0"}, nobody, root included. Then, and where the kernel or JNA has no ping
 * sockets, this says so in one log line with the sysctl that allows it, and tells the engine, which drops and counts
 * ICMP echo beyond the gateway and tries again now and then; the line comes again only if it started working and
 * stopped again (per family: a host may have IPv4 ping sockets and no IPv6 ones). Loop thread only.
 */
final class PingSockets {
    private static final System.Logger LOG = System.getLogger(PingSockets.class.getName());
    static final Path PING_GROUP_RANGE = Path.of("/proc/sys/net/ipv4/ping_group_range");
    /** Room for the largest ICMP message IPv4 carries (65,515 bytes). */
    private static final int SCRATCH = 65_536;

    private final EventLoop loop;
    private final NatEngine engine;
    private Libc libc;
    private Throwable libcFailure;
    private PingPoller poller;
    private Memory scratch;
    private final Family v4 = new Family(Libc.AF_INET, Libc.IPPROTO_ICMP, "IPv4", "ICMP echo",
            "socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP)", 4);
    private final Family v6 = new Family(Libc.AF_INET6, Libc.IPPROTO_ICMPV6, "IPv6", "ICMPv6 echo",
            "socket(AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6)", 8);

    PingSockets(EventLoop loop, NatEngine engine) {
        this.loop = loop;
        this.engine = engine;
    }

    /** Opens a ping socket connected to {@code address} for {@code flow}. */
    HostPingSocket open(NatIcmpFlow flow, Ipv4Address address) throws IOException {
        int bits = address.bits();
        byte[] a = {(byte) (bits >>> 24), (byte) (bits >>> 16), (byte) (bits >>> 8), (byte) bits};
        return open(flow, v4, a);
    }

    /** Opens an ICMPv6 ping socket connected to {@code address} for {@code flow}. */
    HostPingSocket open6(NatIcmpFlow flow, Ipv6Address address) throws IOException {
        byte[] a = new byte[16];
        java.nio.ByteBuffer.wrap(a).putLong(address.high()).putLong(address.low());
        return open(flow, v6, a);
    }

    private HostPingSocket open(NatIcmpFlow flow, Family f, byte[] address) throws IOException {
        Libc c = libc(f);
        int fd;
        try {
            fd = c.socket(f.domain, Libc.SOCK_DGRAM | Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC, f.protocol);
        } catch (LastErrorException e) {
            int errno = e.getErrorCode();
            if (errno == Libc.EACCES || errno == Libc.EPERM) {
                throw refused(f, "this process's groups (effective gid " + c.getegid()
                        + ") are outside net.ipv4.ping_group_range (now \"" + pingGroupRange() + "\")", e, c);
            }
            if (errno == Libc.EAFNOSUPPORT || errno == Libc.EPROTONOSUPPORT || errno == Libc.ESOCKTNOSUPPORT) {
                throw refused(f, "this kernel has no " + f.what + " ping sockets", e, c);
            }
            throw failure("socket", e, c);
        }
        if (f.unavailable != null) {
            f.unavailable = null;
            LOG.log(System.Logger.Level.INFO, f.label + " beyond the gateway is on: ping sockets work now");
        }
        try {
            byte[] sockaddr = f.sockaddr(address);
            c.connect(fd, sockaddr, sockaddr.length);
            PingSocket socket = new PingSocket(c, fd, address, f.addressAt, scratch(), loop, engine);
            socket.register(flow, poller(c));
            return socket;
        } catch (LastErrorException | IOException e) {
            try {
                c.close(fd);
            } catch (LastErrorException ignored) {
                // released either way
            }
            throw e instanceof LastErrorException l ? failure("connect", l, c) : (IOException) e;
        }
    }

    /** One address family's ping sockets: how to open them, and whether the host refused them (for the log). */
    private static final class Family {
        final int domain;
        final int protocol;
        final String what;
        final String label;
        final String call;
        final int addressAt;
        /** The reason ping sockets were last refused, or null while they work (or before the first try). */
        String unavailable;

        Family(int domain, int protocol, String what, String label, String call, int addressAt) {
            this.domain = domain;
            this.protocol = protocol;
            this.what = what;
            this.label = label;
            this.call = call;
            this.addressAt = addressAt;
        }

        /**
         * A {@code struct sockaddr_in} (16 bytes) or {@code sockaddr_in6} (28) for {@code address}, port 0: the
         * family in host order, the address in network order at {@link #addressAt}, flow label and scope 0.
         */
        byte[] sockaddr(byte[] address) {
            byte[] a = new byte[domain == Libc.AF_INET6 ? 28 : 16];
            java.nio.ByteBuffer.wrap(a).order(java.nio.ByteOrder.nativeOrder()).putShort(0, (short) domain);
            System.arraycopy(address, 0, a, addressAt, address.length);
            return a;
        }
    }

    private Libc libc(Family f) throws PingSocketsUnavailable {
        if (libc == null && libcFailure == null) {
            try {
                libc = Libc.load();
            } catch (LinkageError | RuntimeException e) {
                libcFailure = e;
            }
        }
        if (libc == null) {
            String why = "JNA cannot call the C library here (" + libcFailure + ")";
            if (f.unavailable == null) {
                f.unavailable = why;
                LOG.log(System.Logger.Level.WARNING, f.label + " beyond the gateway is off: " + why
                        + "; guest pings beyond the gateway are dropped and counted");
            }
            throw new PingSocketsUnavailable(why);
        }
        return libc;
    }

    /** Logs why ping sockets are refused (once until they work again) and makes the exception the engine expects. */
    private PingSocketsUnavailable refused(Family f, String why, LastErrorException e, Libc c) {
        String detail = why + ": " + f.call + ": " + c.strerror(e.getErrorCode());
        if (f.unavailable == null) {
            f.unavailable = detail;
            LOG.log(System.Logger.Level.WARNING, f.label + " beyond the gateway is off: " + detail
                    + ". Allow it with: sysctl -w net.ipv4.ping_group_range=\"0 2147483647\" (in the switch's network"
                    + " namespace; persist it in /etc/sysctl.d/). Until then guest pings beyond the gateway are"
                    + (f.domain == Libc.AF_INET6 ? " answered \"administratively prohibited\"" : " dropped")
                    + " and counted; the gateway still answers pings to its own address.");
        }
        return new PingSocketsUnavailable(detail);
    }

    /** An IOException naming the call and the errno. */
    static IOException failure(String call, LastErrorException e, Libc c) {
        return new IOException(call + ": " + c.strerror(e.getErrorCode()) + " (errno " + e.getErrorCode() + ")");
    }

    /** The sysctl's current value, for the log line. */
    static String pingGroupRange() {
        try {
            // Not Files.readString: it trusts the size procfs reports (0) and returns a short read.
            return String.join(" ", Files.readAllLines(PING_GROUP_RANGE)).trim().replaceAll("\\s+", " ");
        } catch (IOException | RuntimeException e) {
            return "unreadable: " + e.getMessage();
        }
    }

    private Memory scratch() {
        if (scratch == null) {
            scratch = new Memory(SCRATCH);
        }
        return scratch;
    }

    private PingPoller poller(Libc c) throws IOException {
        if (poller == null) {
            try {
                poller = new PingPoller(c, loop);
            } catch (LastErrorException e) {
                throw failure("epoll", e, c);
            }
        }
        return poller;
    }
}
