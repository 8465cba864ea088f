package io.userv2.stack.dhcp;

import io.userv2.stack.wire.DhcpMessageType;
import io.userv2.stack.wire.DhcpRepr;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.Ipv4Subnet;
import io.userv2.stack.wire.MacAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * What the DHCP server hands out and on which terms. Immutable; build one with {@link #builder}, whose defaults follow
 * REFERENCE.md (router and DNS = the gateway, 1 h leases, MTU 1500, addresses from the first host address after the
 * gateway: 192.168.104.3 on the default network, as gvproxy does).
 *
 * <p>The dynamic pool is {@code [poolStart, poolEnd]} minus the server, router and DNS addresses, {@link #reserved}
 * and every static lease's address; the network and broadcast addresses are never in it. The constructor checks that
 * every reply can be encoded (e.g. search domains are valid names), so no configuration error surfaces later on the
 * packet path.
 *
 * @param subnet             the LAN
 * @param serverIp           the server's address (the gateway's), sent as Server Identifier (54)
 * @param router             Router (3)
 * @param dnsServers         Domain Name Server (6), at least one
 * @param poolStart          first dynamic address
 * @param poolEnd            last dynamic address
 * @param reserved           further addresses never handed out (e.g. a host alias on its own address)
 * @param leaseSeconds       IP Address Lease Time (51); T1 (58) and T2 (59) are 1/2 and 7/8 of it (RFC 2131 4.4.5)
 * @param mtu                Interface MTU (26), or 0 to leave the option out
 * @param searchDomains      Domain Search (119, RFC 3397), from the host's resolv.conf {@code search}; empty = omitted
 * @param domainName         Domain Name (15), or null to leave it out
 * @param staticLeases       fixed addresses by MAC
 * @param offerHoldSeconds   how long an offered address stays reserved for the client it was offered to
 * @param declineHoldSeconds how long an address a client declined (found in use) is not handed out (RFC 2131 4.3.3)
 */
public record DhcpConfig(Ipv4Subnet subnet, Ipv4Address serverIp, Ipv4Address router, List<Ipv4Address> dnsServers,
                         Ipv4Address poolStart, Ipv4Address poolEnd, Set<Ipv4Address> reserved, long leaseSeconds,
                         int mtu, List<String> searchDomains, String domainName, List<StaticLease> staticLeases,
                         long offerHoldSeconds, long declineHoldSeconds) {
    /** 1 hour, as gvproxy. */
    public static final long DEFAULT_LEASE_SECONDS = 3600;
    /** Ethernet's 1500. */
    public static final int DEFAULT_MTU = 1500;
    /** An offer is held for a minute. */
    public static final long DEFAULT_OFFER_HOLD_SECONDS = 60;
    /** A declined address rests for 10 minutes. */
    public static final long DEFAULT_DECLINE_HOLD_SECONDS = 600;

    /** Validates everything (see the class comment) and copies the collections. */
    public DhcpConfig {
        Objects.requireNonNull(subnet, "subnet");
        Objects.requireNonNull(serverIp, "serverIp");
        Objects.requireNonNull(router, "router");
        Objects.requireNonNull(poolStart, "poolStart");
        Objects.requireNonNull(poolEnd, "poolEnd");
        dnsServers = List.copyOf(dnsServers);
        reserved = Set.copyOf(reserved);
        searchDomains = List.copyOf(searchDomains);
        staticLeases = List.copyOf(staticLeases);
        require(isHostAddress(subnet, serverIp.bits()), "server address " + serverIp + " is not a host of " + subnet);
        require(isHostAddress(subnet, poolStart.bits()) && isHostAddress(subnet, poolEnd.bits()),
                "pool " + poolStart + "-" + poolEnd + " is not within the hosts of " + subnet);
        require(Integer.compareUnsigned(poolStart.bits(), poolEnd.bits()) <= 0, "pool start after pool end");
        require(!dnsServers.isEmpty(), "at least one DNS server");
        require(leaseSeconds >= 1 && leaseSeconds < DhcpRepr.INFINITE_LEASE, "lease time out of range");
        require(mtu == 0 || (mtu >= 68 && mtu <= 0xFFFF), "MTU out of range (68..65535, or 0 for none)");
        require(offerHoldSeconds > 0 && declineHoldSeconds > 0, "hold times must be positive");
        Set<Ipv4Address> ips = new HashSet<>();
        Set<MacAddress> macs = new HashSet<>();
        for (StaticLease s : staticLeases) {
            int ip = s.ip().bits();
            require(isHostAddress(subnet, ip), "static lease " + s + " is not a host of " + subnet);
            require(!s.ip().equals(serverIp) && !s.ip().equals(router) && !dnsServers.contains(s.ip())
                    && !reserved.contains(s.ip()), "static lease " + s + " takes a reserved address");
            require(ips.add(s.ip()), "two static leases for " + s.ip());
            require(macs.add(s.mac()), "two static leases for " + s.mac());
        }
        // Every reply carries these; encoding one now makes a bad name fail here rather than on the packet path.
        DhcpRepr.builder().op(DhcpRepr.Op.BOOTREPLY).messageType(DhcpMessageType.ACK).serverIdentifier(serverIp)
                .subnetMask(subnet.netmask()).routers(List.of(router)).dnsServers(dnsServers)
                .interfaceMtu(mtu == 0 ? null : mtu).domainName(domainName).domainSearch(searchDomains)
                .leaseTime(leaseSeconds).build().encodedLength();
    }

    /** A builder with the defaults for {@code subnet} and the server (gateway) at {@code serverIp}. */
    public static Builder builder(Ipv4Subnet subnet, Ipv4Address serverIp) {
        return new Builder(subnet, serverIp);
    }

    /** True when {@code ip} is in {@code subnet} and is neither its network nor its broadcast address. */
    static boolean isHostAddress(Ipv4Subnet subnet, int ip) {
        return subnet.contains(ip) && ip != subnet.network().bits() && ip != subnet.broadcast().bits();
    }

    /** T1, the renewal time: "0.5 * duration_of_lease" (RFC 2131 4.4.5). */
    public long renewalSeconds() {
        return leaseSeconds / 2;
    }

    /** T2, the rebinding time: "0.875 * duration_of_lease" (RFC 2131 4.4.5). */
    public long rebindingSeconds() {
        return leaseSeconds * 7 / 8;
    }

    /** Addresses a dynamic lease must never get: server, router, DNS servers and {@link #reserved}. */
    Set<Integer> excludedAddresses() {
        Set<Integer> set = new HashSet<>();
        set.add(serverIp.bits());
        set.add(router.bits());
        dnsServers.forEach(a -> set.add(a.bits()));
        reserved.forEach(a -> set.add(a.bits()));
        staticLeases.forEach(s -> set.add(s.ip().bits()));
        return set;
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    /** Mutable builder for {@link DhcpConfig}; every setter returns the builder. */
    public static final class Builder {
        private final Ipv4Subnet subnet;
        private final Ipv4Address serverIp;
        private Ipv4Address router;
        private List<Ipv4Address> dnsServers;
        private Ipv4Address poolStart;
        private Ipv4Address poolEnd;
        private final Set<Ipv4Address> reserved = new LinkedHashSet<>();
        private long leaseSeconds = DEFAULT_LEASE_SECONDS;
        private int mtu = DEFAULT_MTU;
        private List<String> searchDomains = List.of();
        private String domainName;
        private boolean domainNameSet;
        private final List<StaticLease> staticLeases = new ArrayList<>();
        private long offerHoldSeconds = DEFAULT_OFFER_HOLD_SECONDS;
        private long declineHoldSeconds = DEFAULT_DECLINE_HOLD_SECONDS;

        private Builder(Ipv4Subnet subnet, Ipv4Address serverIp) {
            this.subnet = Objects.requireNonNull(subnet, "subnet");
            this.serverIp = Objects.requireNonNull(serverIp, "serverIp");
        }

        /** Router (3); default: the server. */
        public Builder router(Ipv4Address v) {
            router = v;
            return this;
        }

        /** DNS servers (6); default: the server. */
        public Builder dnsServers(List<Ipv4Address> v) {
            dnsServers = List.copyOf(v);
            return this;
        }

        /** First dynamic address; default: the host address after the server's (or the first host if none). */
        public Builder poolStart(Ipv4Address v) {
            poolStart = v;
            return this;
        }

        /** Last dynamic address; default: the last host address of the subnet. */
        public Builder poolEnd(Ipv4Address v) {
            poolEnd = v;
            return this;
        }

        /** Adds an address never to hand out (such as a host alias on an address of its own). */
        public Builder reserve(Ipv4Address v) {
            reserved.add(v);
            return this;
        }

        /** Lease time in seconds; default 3600. */
        public Builder leaseSeconds(long v) {
            leaseSeconds = v;
            return this;
        }

        /** Interface MTU option; 0 leaves it out; default 1500. */
        public Builder mtu(int v) {
            mtu = v;
            return this;
        }

        /** Domain search list (119); default empty (omitted). Also the default Domain Name (first entry). */
        public Builder searchDomains(List<String> v) {
            searchDomains = List.copyOf(v);
            return this;
        }

        /**
         * Domain Name (15); null leaves it out. Default: the first search domain, because some clients (busybox
         * udhcpc's default script) build resolv.conf's {@code search} line from option 15 only.
         */
        public Builder domainName(String v) {
            domainName = v;
            domainNameSet = true;
            return this;
        }

        /** Adds static leases. */
        public Builder staticLeases(List<StaticLease> v) {
            staticLeases.addAll(v);
            return this;
        }

        /** How long an offer holds its address; default 60 s. */
        public Builder offerHoldSeconds(long v) {
            offerHoldSeconds = v;
            return this;
        }

        /** How long a declined address rests; default 600 s. */
        public Builder declineHoldSeconds(long v) {
            declineHoldSeconds = v;
            return this;
        }

        /** The configuration; throws {@link IllegalArgumentException} when it is inconsistent. */
        public DhcpConfig build() {
            Ipv4Address start = poolStart;
            if (start == null) {
                start = serverIp.plus(1);
                if (!isHostAddress(subnet, start.bits())) {
                    start = subnet.network().plus(1);
                }
            }
            Ipv4Address end = poolEnd != null ? poolEnd : new Ipv4Address(subnet.broadcast().bits() - 1);
            String domain = domainNameSet ? domainName : searchDomains.isEmpty() ? null : searchDomains.get(0);
            if (!domainNameSet && domain != null && domain.endsWith(".") && domain.length() > 1) {
                domain = domain.substring(0, domain.length() - 1);
            }
            return new DhcpConfig(subnet, serverIp, router != null ? router : serverIp,
                    dnsServers != null ? dnsServers : List.of(serverIp), start, end, reserved, leaseSeconds, mtu,
                    searchDomains, domain, staticLeases, offerHoldSeconds, declineHoldSeconds);
        }
    }
}
