package io.userv2.switchd.forward;

import io.userv2.stack.gateway.Gateway;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.Ipv6Address;
import io.userv2.switchd.loop.EventLoop;
import io.userv2.switchd.loop.IoHandler;
import io.userv2.switchd.nat.NatLoop;
import io.userv2.switchd.state.ForwardsFile;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The port forwards from host sockets into guests, from the command line ({@code --forward}) and the HTTP API
 * (expose / unexpose): TCP and UDP ports, and host unix sockets relayed to a guest's TCP port. A forward points at a
 * guest address or name, not a VM, so it survives the guest's reboot; with a
 * state file it survives a restart of the switch too: {@link #expose} and {@link #unexpose} answer at once and the
 * kept list is written in the background ({@link ForwardsFile}), flushed at the latest on a clean shutdown. Loop
 * thread only.
 */
public final class PortForwards {
    private static final System.Logger LOG = System.getLogger(PortForwards.class.getName());

    /** Most forwards at once, from the command line, the API and guests together. */
    public static final int MAX_FORWARDS = 1024;

    private final EventLoop loop;
    private final Gateway gateway;
    private final NatLoop nat;
    private final GuestNames names;
    private final int mtu;
    private final long udpIdleNanos;
    private final ForwardsFile stateFile;
    /** Key: protocol + local address, e.g. {@code tcp:127.0.0.1:2222} or {@code unix:/run/x.sock}. */
    private final Map<String, IoHandler> active = new LinkedHashMap<>();
    private final Map<String, ForwardSpec> specs = new LinkedHashMap<>();
    /** Ids of the forwards added at run time (and restored from the state file): the ones that are kept. */
    private final java.util.Set<String> kept = new java.util.LinkedHashSet<>();

    /**
     * @param names where forwards given a guest name find their guest
     * @param stateFile where forwards are kept across restarts, or null for none
     */
    public PortForwards(EventLoop loop, Gateway gateway, NatLoop nat, GuestNames names, int mtu, long udpIdleNanos,
            ForwardsFile stateFile) {
        this.loop = loop;
        this.gateway = gateway;
        this.nat = nat;
        this.names = names;
        this.mtu = mtu;
        this.udpIdleNanos = udpIdleNanos;
        this.stateFile = stateFile;
        loop.every(1_000_000_000L, this::expire);
    }

    private static String id(String protocol, String local) {
        return protocol + ":" + local;
    }

    /** Starts the forwards given at start-up and those kept in the state file; failures are logged, not fatal. */
    public void restore(List<ForwardSpec> fromCommandLine) {
        startAll(fromCommandLine, false);
        if (stateFile != null) {
            startAll(stateFile.load(), true);
        }
    }

    private void startAll(List<ForwardSpec> forwards, boolean keep) {
        for (ForwardSpec f : forwards) {
            String id = id(f.protocol(), f.localText());
            if (specs.containsKey(id)) {
                continue; // given on the command line and kept from an earlier run
            }
            try {
                start(f);
                if (keep) {
                    kept.add(id);
                }
            } catch (IOException | IllegalStateException | IllegalArgumentException e) {
                LOG.log(System.Logger.Level.WARNING, "forward " + f + " not started: " + e.getMessage());
            }
        }
    }

    /**
     * Starts a forward.
     *
     * @throws IllegalStateException when that protocol and local address are already forwarded
     * @throws IllegalArgumentException when the guest is an IPv6 one and the LAN has no IPv6, an IPv6 literal that
     *     is neither link-local nor in the LAN's prefix, or an IPv4 literal that is no host address of the subnet or is
     *     the gateway's own
     * @throws IOException when the host socket cannot be bound (in use, not permitted)
     */
    public void expose(ForwardSpec f) throws IOException {
        start(f);
        kept.add(id(f.protocol(), f.localText()));
        save();
    }

    private void start(ForwardSpec f) throws IOException {
        String id = id(f.protocol(), f.localText());
        if (specs.containsKey(id)) {
            throw new IllegalStateException(f.protocol() + " " + f.localText() + " is already forwarded");
        }
        if (f.ipv6() && gateway.ipv6() == null) {
            throw new IllegalArgumentException("IPv6 is off on this network: no forward to [" + f.guestHost() + "]");
        }
        if (f.guestLiteral() instanceof Ipv6Address g6 && !gateway.ipv6().isGuestAddress(g6)) {
            // as a name's AAAA answers are kept to the prefix (GuestNames): else the gateway would solicit the address
            // on the LAN and whichever VM answered would get the host's connections
            throw new IllegalArgumentException("[" + g6 + "] is not on this network: an IPv6 guest is link-local "
                    + "(fe80::/64) or in " + gateway.ipv6().config().prefix());
        }
        if (f.guestLiteral() instanceof Ipv4Address g4 && !gateway.isGuestAddress(g4)) {
            // as a name's A answers are kept to the subnet (GuestNames), and as for IPv6 above
            throw new IllegalArgumentException(g4 + " is not on this network: an IPv4 guest is a host address of "
                    + gateway.subnet() + " other than the gateway's own");
        }
        if (active.size() >= MAX_FORWARDS) {
            // Each holds a host socket; guests may add forwards (the guest API), so the host's descriptors are kept.
            throw new IOException("too many forwards (at most " + MAX_FORWARDS + ")");
        }
        IoHandler h = f.protocol().equals("udp") ? UdpForward.open(f, loop, gateway, names, udpIdleNanos, mtu)
                : TcpForward.open(f, loop, nat, names);
        active.put(id, h);
        specs.put(id, f);
        LOG.log(System.Logger.Level.INFO, "forwarding " + f);
    }

    /**
     * Stops the forward of {@code protocol} at {@code local} ({@code IP:PORT}, or a unix forward's path, whose socket
     * file goes too); false when there is none.
     */
    public boolean unexpose(String protocol, String local) {
        String p = protocol.toLowerCase(java.util.Locale.ROOT);
        String id = id(p, canonicalLocal(p, local));
        IoHandler h = active.remove(id);
        if (h == null) {
            return false;
        }
        specs.remove(id);
        kept.remove(id);
        h.shutdown();
        LOG.log(System.Logger.Level.INFO, "stopped forwarding " + id);
        save();
        return true;
    }

    /** {@code local} as {@link ForwardSpec#localText()} writes it ({@code [::1]:80} for {@code [0::1]:80}). */
    private static String canonicalLocal(String protocol, String local) {
        if (protocol.equals("unix")) {
            return local;
        }
        try {
            return new ForwardSpec(protocol, ForwardSpec.parseHostPort(local), "127.0.0.1", 1).localText();
        } catch (IllegalArgumentException e) {
            return local; // no such forward then
        }
    }

    /**
     * A TCP forward for the switch's own use (the SSH forwards' way to the VM's sshd, as gvproxy dials it inside its
     * network): 127.0.0.1 on a free port to {@code guest:guestPort}; not listed, not kept, closed with the loop.
     *
     * @return the address it listens on
     */
    public InetSocketAddress openInternal(Ipv4Address guest, int guestPort) throws IOException {
        TcpForward f = TcpForward.open(new ForwardSpec("tcp", new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                guest.toString(), guestPort), loop, nat, names);
        return (InetSocketAddress) f.localAddress();
    }

    /** The forwards now active, in the order they were started. */
    public List<ForwardSpec> list() {
        return List.copyOf(specs.values());
    }

    private void expire() {
        long now = System.nanoTime();
        for (IoHandler h : active.values()) {
            if (h instanceof UdpForward u) {
                u.expire(now);
            }
        }
    }

    private void save() {
        if (stateFile != null) {
            stateFile.save(kept.stream().map(specs::get).toList());
        }
    }
}
