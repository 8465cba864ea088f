package io.userv2.stack.dhcp6;

import io.userv2.stack.wire.MacAddress;
import java.net.Inet6Address;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * What the DHCPv6 server hands out and on which terms. Immutable; build one with {@link #builder}. By default the
 * server is stateless (RFC 8415 section 6.1): it answers Information-requests with the DNS servers and the domain
 * search list and has no addresses to give. With {@link Builder#addressPool} it is also stateful (section 6.2): it
 * leases addresses of a /64 to IA_NAs, one per IA, kept like the IPv4 leases.
 *
 * <p>The dynamic pool is the interface identifiers {@code [poolStart, poolEnd]} of the /64 (default
 * {@code ::1000-::ffff}), minus the DNS servers and {@link #reserved} addresses inside it, the subnet-router anycast
 * identifier 0 (RFC 4291 section 2.6.1) and the reserved subnet anycast identifiers
 * {@code fdff:ffff:ffff:ff80-fdff:ffff:ffff:ffff} (RFC 2526). The constructor checks that every reply can be encoded,
 * so no configuration error surfaces on the packet path.
 *
 * @param serverDuid                the server's DUID (Server Identifier); by default DUID-LL of the gateway's MAC
 * @param dnsServers                DNS Recursive Name Servers (RFC 3646); empty = option left out
 * @param searchDomains             Domain Search List (RFC 3646); empty = option left out
 * @param informationRefreshSeconds Information Refresh Time in Replies to Information-request; 0 = left out (the
 *                                  client then uses 86400 s, RFC 8415 section 21.23)
 * @param solMaxRtSeconds           SOL_MAX_RT in Advertise and Reply; 0 = left out
 * @param preference                Preference in Advertise; 0 = left out (RFC 8415 18.3.9: "The server preference
 *                                  value MUST default to 0 unless otherwise configured by the server administrator";
 *                                  255 makes clients take this server's first Advertise without waiting, section
 *                                  18.2.1)
 * @param rapidCommit               answer a Solicit carrying Rapid Commit with a committing Reply (stateful only)
 * @param prefix                    the /64 of the stateful pool (its lower 64 bits zero), or null for stateless
 * @param poolStart                 first interface identifier of the pool (unsigned)
 * @param poolEnd                   last interface identifier of the pool (unsigned)
 * @param reserved                  addresses never handed out
 * @param leaseSeconds              valid lifetime of leased addresses
 * @param preferredSeconds          preferred lifetime (at most the valid one); T1 and T2 are 0.5 and 0.8 of it
 * @param offerHoldSeconds          how long an advertised address stays held for the client it was advertised to
 * @param declineHoldSeconds        how long a declined address rests before it is handed out again
 * @param maxLeasesPerPort          most bindings and held offers one switch port may hold (made-up DUIDs)
 * @param maxLeases                 most bindings and held offers in total (bounds the table)
 */
public record Dhcp6Config(Duid serverDuid, List<Inet6Address> dnsServers, List<String> searchDomains,
                          long informationRefreshSeconds, long solMaxRtSeconds, int preference, boolean rapidCommit,
                          Inet6Address prefix, long poolStart, long poolEnd, Set<Inet6Address> reserved,
                          long leaseSeconds, long preferredSeconds, long offerHoldSeconds, long declineHoldSeconds,
                          int maxLeasesPerPort, int maxLeases) {
    /** 1 hour, as the IPv4 leases. */
    public static final long DEFAULT_LEASE_SECONDS = 3600;
    /** First interface identifier of the default pool. */
    public static final long DEFAULT_POOL_START = 0x1000;
    /** Last interface identifier of the default pool. */
    public static final long DEFAULT_POOL_END = 0xFFFF;
    /** An advertised address is held for a minute. */
    public static final long DEFAULT_OFFER_HOLD_SECONDS = 60;
    /** A declined address rests for 10 minutes. */
    public static final long DEFAULT_DECLINE_HOLD_SECONDS = 600;
    /** A VM normally has one IA_NA, a few across reinstalls with new DUIDs. */
    public static final int DEFAULT_MAX_LEASES_PER_PORT = 8;
    /** Bounds the table whatever the pool size. */
    public static final int DEFAULT_MAX_LEASES = 4096;
    /** RFC 8415 section 21.23: IRT_MINIMUM. */
    public static final long MIN_INFORMATION_REFRESH_SECONDS = 600;

    /** Validates everything (see the class comment) and copies the collections. */
    public Dhcp6Config {
        Objects.requireNonNull(serverDuid, "serverDuid");
        dnsServers = List.copyOf(dnsServers);
        searchDomains = List.copyOf(searchDomains);
        reserved = Set.copyOf(reserved);
        require(informationRefreshSeconds == 0 || (informationRefreshSeconds >= MIN_INFORMATION_REFRESH_SECONDS
                && informationRefreshSeconds <= Dhcp6Repr.INFINITY), "information refresh time: 0 or 600..2^32-1");
        // RFC 8415 21.24: "SOL_MAX_RT value MUST be in this range: 60 <= "value" <= 86400 (1 day)"
        require(solMaxRtSeconds == 0 || (solMaxRtSeconds >= 60 && solMaxRtSeconds <= 86400),
                "SOL_MAX_RT: 0 or 60..86400");
        require(preference >= 0 && preference <= 255, "preference 0..255");
        require(leaseSeconds >= 1 && leaseSeconds < Dhcp6Repr.INFINITY, "lease time out of range");
        require(preferredSeconds >= 1 && preferredSeconds <= leaseSeconds,
                "preferred lifetime must be 1..lease time");
        require(offerHoldSeconds > 0 && declineHoldSeconds > 0, "hold times must be positive");
        require(maxLeasesPerPort >= 1 && maxLeases >= 1, "lease caps must be positive");
        if (prefix != null) {
            require(Ipv6Bits.lo(prefix) == 0, "pool prefix " + Dhcp6Repr.format(prefix) + " is not a /64 network");
            require(poolStart != 0 && Long.compareUnsigned(poolStart, poolEnd) <= 0,
                    "pool range must be 1..2^64-1 with start <= end");
        }
        // Every Reply carries these; encoding one now makes a bad name fail here rather than on the packet path.
        Dhcp6Repr.builder().msgType(Dhcp6MessageType.REPLY).serverId(serverDuid)
                .dnsServers(dnsServers.isEmpty() ? null : dnsServers)
                .domainList(searchDomains.isEmpty() ? null : searchDomains).build().encodedLength();
    }

    /** A builder with the defaults (stateless, no options) for the server on the gateway with {@code gatewayMac}. */
    public static Builder builder(MacAddress gatewayMac) {
        return new Builder(Duid.linkLayer(gatewayMac));
    }

    /** True when addresses are leased (a pool prefix is configured). */
    public boolean stateful() {
        return prefix != null;
    }

    /** T1: "Recommended values for T1 and T2 are 0.5 and 0.8 times the shortest preferred lifetime" (21.4). */
    public long t1Seconds() {
        return preferredSeconds / 2;
    }

    /** T2: 0.8 times the preferred lifetime (RFC 8415 section 21.4). */
    public long t2Seconds() {
        return preferredSeconds * 4 / 5;
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    /** Mutable builder for {@link Dhcp6Config}; every setter returns the builder. */
    public static final class Builder {
        private Duid serverDuid;
        private List<Inet6Address> dnsServers = List.of();
        private List<String> searchDomains = List.of();
        private long informationRefreshSeconds;
        private long solMaxRtSeconds;
        private int preference;
        private boolean rapidCommit = true;
        private Inet6Address prefix;
        private long poolStart = DEFAULT_POOL_START;
        private long poolEnd = DEFAULT_POOL_END;
        private final Set<Inet6Address> reserved = new LinkedHashSet<>();
        private long leaseSeconds = DEFAULT_LEASE_SECONDS;
        private long preferredSeconds;
        private long offerHoldSeconds = DEFAULT_OFFER_HOLD_SECONDS;
        private long declineHoldSeconds = DEFAULT_DECLINE_HOLD_SECONDS;
        private int maxLeasesPerPort = DEFAULT_MAX_LEASES_PER_PORT;
        private int maxLeases = DEFAULT_MAX_LEASES;

        private Builder(Duid serverDuid) {
            this.serverDuid = serverDuid;
        }

        /** Replaces the server DUID. */
        public Builder serverDuid(Duid v) {
            serverDuid = v;
            return this;
        }

        /** DNS servers (RFC 3646 option 23); default none. */
        public Builder dnsServers(List<Inet6Address> v) {
            dnsServers = List.copyOf(v);
            return this;
        }

        /** Domain search list (RFC 3646 option 24); default none. */
        public Builder searchDomains(List<String> v) {
            searchDomains = List.copyOf(v);
            return this;
        }

        /** Information Refresh Time; 0 (default) leaves it out, else at least 600. */
        public Builder informationRefreshSeconds(long v) {
            informationRefreshSeconds = v;
            return this;
        }

        /** SOL_MAX_RT; 0 (default) leaves it out, else 60..86400. */
        public Builder solMaxRtSeconds(long v) {
            solMaxRtSeconds = v;
            return this;
        }

        /** Preference in Advertise, 0..255; default 0 (left out). */
        public Builder preference(int v) {
            preference = v;
            return this;
        }

        /** Whether a Solicit with Rapid Commit is answered by a committing Reply; default true. */
        public Builder rapidCommit(boolean v) {
            rapidCommit = v;
            return this;
        }

        /** Turns stateful DHCPv6 on with the /64 {@code prefix} (given as its network address). */
        public Builder addressPool(Inet6Address prefix) {
            this.prefix = prefix;
            return this;
        }

        /** The interface identifiers of the pool; default {@code ::1000-::ffff}. */
        public Builder poolRange(long startIid, long endIid) {
            poolStart = startIid;
            poolEnd = endIid;
            return this;
        }

        /** Adds an address never to hand out (the gateway's own, a host alias). */
        public Builder reserve(Inet6Address v) {
            reserved.add(v);
            return this;
        }

        /** Valid lifetime in seconds; default 3600. */
        public Builder leaseSeconds(long v) {
            leaseSeconds = v;
            return this;
        }

        /** Preferred lifetime in seconds; default: the valid lifetime. */
        public Builder preferredSeconds(long v) {
            preferredSeconds = v;
            return this;
        }

        /** How long an advertised address is held; default 60 s. */
        public Builder offerHoldSeconds(long v) {
            offerHoldSeconds = v;
            return this;
        }

        /** How long a declined address rests; default 600 s. */
        public Builder declineHoldSeconds(long v) {
            declineHoldSeconds = v;
            return this;
        }

        /** Most bindings and offers per switch port; default 8. */
        public Builder maxLeasesPerPort(int v) {
            maxLeasesPerPort = v;
            return this;
        }

        /** Most bindings and offers in total; default 4096. */
        public Builder maxLeases(int v) {
            maxLeases = v;
            return this;
        }

        /** The configuration; throws {@link IllegalArgumentException} when it is inconsistent. */
        public Dhcp6Config build() {
            return new Dhcp6Config(serverDuid, dnsServers, searchDomains, informationRefreshSeconds, solMaxRtSeconds,
                    preference, rapidCommit, prefix, poolStart, poolEnd, reserved, leaseSeconds,
                    preferredSeconds == 0 ? leaseSeconds : preferredSeconds, offerHoldSeconds, declineHoldSeconds,
                    maxLeasesPerPort, maxLeases);
        }
    }
}
