package io.userv2.stack.nat;

import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.Ipv4Subnet;
import java.util.Map;

/**
 * Decides where on the host a guest's TCP connection or UDP flow goes: the host alias (the gateway's address by
 * default) maps to the host's 127.0.0.1, {@code --nat VIRTUAL=REAL} rules map further addresses, and any other
 * destination is dialled as itself unless the network is kept local ({@code --no-outside}, Lima's {@code host} mode).
 * Immutable and thread-safe.
 *
 * <p>Never dialled, whatever the rules say: multicast, broadcast, 0.0.0.0/8, and addresses of the LAN itself (those
 * are other VMs, reached at layer 2, never through the gateway); nor link-local 169.254.0.0/16 (cloud metadata
 * services live there; a guest must not reach the host's) unless the policy allows it (gvproxy's
 * {@code -ec2-metadata-access}).
 */
public final class NatPolicy {
    private static final Ipv4Address LOOPBACK = Ipv4Address.parse("127.0.0.1");
    private static final Ipv4Subnet LINK_LOCAL = Ipv4Subnet.parse("169.254.0.0/16");
    private static final Ipv4Subnet THIS_NETWORK = Ipv4Subnet.parse("0.0.0.0/8");
    private static final Ipv4Subnet HOST_LOOPBACK = Ipv4Subnet.parse("127.0.0.0/8");

    private final Ipv4Subnet lan;
    private final Ipv4Address hostAlias;
    private final Map<Ipv4Address, Ipv4Address> rules;
    private final boolean outside;
    private final boolean linkLocal;

    /**
     * A policy for {@code lan} whose {@code hostAlias} reaches the host's loopback.
     *
     * @param rules further VIRTUAL -> REAL address mappings ({@code --nat})
     * @param outside whether destinations without a rule are dialled as themselves (false: LAN and host only)
     */
    public NatPolicy(Ipv4Subnet lan, Ipv4Address hostAlias, Map<Ipv4Address, Ipv4Address> rules, boolean outside) {
        this(lan, hostAlias, rules, outside, false);
    }

    /**
     * As {@link #NatPolicy(Ipv4Subnet, Ipv4Address, Map, boolean)}, and with {@code linkLocal} true, destinations in
     * 169.254.0.0/16 (a cloud's metadata and time services) are dialled too.
     */
    public NatPolicy(Ipv4Subnet lan, Ipv4Address hostAlias, Map<Ipv4Address, Ipv4Address> rules, boolean outside,
            boolean linkLocal) {
        this.lan = lan;
        this.hostAlias = hostAlias;
        this.rules = Map.copyOf(rules);
        this.outside = outside;
        this.linkLocal = linkLocal;
    }

    /**
     * The host address to dial for a guest destination, or null when the destination may not be reached.
     *
     * @param destination the destination address the guest used
     */
    public Ipv4Address translate(Ipv4Address destination) {
        Ipv4Address real;
        if (destination.equals(hostAlias)) {
            real = LOOPBACK;
        } else if (rules.containsKey(destination)) {
            real = rules.get(destination);
        } else if (!outside || lan.contains(destination) || HOST_LOOPBACK.contains(destination)) {
            return null; // a guest's own loopback never leaves it; LAN peers are reached at layer 2
        } else {
            real = destination;
        }
        return dialable(real) ? real : null;
    }

    private boolean dialable(Ipv4Address a) {
        int bits = a.bits();
        boolean multicastOrReserved = (bits >>> 28) >= 0xE; // 224.0.0.0/4 and 240.0.0.0/4 (incl. broadcast)
        return !multicastOrReserved && (linkLocal || !LINK_LOCAL.contains(a)) && !THIS_NETWORK.contains(a);
    }

    /** The address that stands for the host's loopback. */
    public Ipv4Address hostAlias() {
        return hostAlias;
    }

    /** Whether destinations without a rule are reachable. */
    public boolean outside() {
        return outside;
    }

    /** Whether link-local destinations (169.254.0.0/16) are dialled. */
    public boolean linkLocal() {
        return linkLocal;
    }

    /** The {@code --nat} rules, VIRTUAL -> REAL. */
    public Map<Ipv4Address, Ipv4Address> rules() {
        return rules;
    }
}
