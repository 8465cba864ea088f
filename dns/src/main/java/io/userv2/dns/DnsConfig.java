package io.userv2.dns;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.xbill.DNS.Name;
import org.xbill.DNS.TextParseException;

/**
 * Everything a {@link DnsServer} is built from: the internal names, where the host's resolver and nameservers come
 * from, timeouts and limits. Immutable once built; the defaults are Lima's user-v2 ones and the host's real
 * configuration (/etc/resolv.conf, the OS resolver), so tests must override {@link Builder#resolvConf},
 * {@link Builder#upstreams} and {@link Builder#hostResolver}.
 */
public final class DnsConfig {

    final Name hostAliasName;
    final InetAddress hostAlias;
    final Name gatewayName;
    final InetAddress gatewayAddress;
    final Name dhcpDomain;
    final Map<String, InetAddress> staticHosts;
    final Path resolvConf;
    final List<InetSocketAddress> fallbackUpstreams;
    final List<InetSocketAddress> upstreams;
    final UpstreamSource upstreamSource;
    final HostResolver hostResolver;
    final HostRecordResolver hostRecordResolver;
    final Duration forwardTimeout;
    final Duration attemptTimeout;
    final Duration hostLookupTimeout;
    final int maxUdpPayload;
    final int workerThreads;
    final int queueCapacity;
    final long localTtl;
    final long hostTtl;
    final long negativeTtl;
    final Dns64 dns64;

    private DnsConfig(Builder b) {
        hostAliasName = b.hostAliasName;
        hostAlias = b.hostAlias;
        gatewayName = b.gatewayName;
        gatewayAddress = b.gatewayAddress;
        dhcpDomain = b.dhcpDomain;
        staticHosts = Map.copyOf(b.staticHosts);
        resolvConf = b.resolvConf;
        fallbackUpstreams = List.copyOf(b.fallbackUpstreams);
        upstreams = b.upstreams == null ? null : List.copyOf(b.upstreams);
        upstreamSource = b.upstreamSource;
        hostResolver = b.hostResolver;
        hostRecordResolver = b.hostRecordResolver;
        forwardTimeout = b.forwardTimeout;
        attemptTimeout = b.attemptTimeout;
        hostLookupTimeout = b.hostLookupTimeout;
        maxUdpPayload = b.maxUdpPayload;
        workerThreads = b.workerThreads;
        queueCapacity = b.queueCapacity;
        localTtl = b.localTtl;
        hostTtl = b.hostTtl;
        negativeTtl = b.negativeTtl;
        dns64 = b.dns64;
    }

    /**
     * The default TTL, in seconds, of the gateway's own answers: internal names, host-resolver answers and (as the
     * SOA's TTL and MINIMUM, RFC 2308 section 5) its negative answers. Short on purpose: a guest's resolver may keep
     * an answer this long, so a VM that goes away (or whose lease moves) stops resolving to its old address within
     * 5 seconds, and a VM that comes up resolves within 5 seconds of a guest having asked for it too early; yet a
     * burst of lookups (a build, a test suite) is served from the guest's cache instead of the gateway. TTL 0, the
     * old value, made systemd-resolved skip caching altogether ("Not caching zero TTL cache entry").
     */
    public static final long DEFAULT_LOCAL_TTL = 5;

    /** The largest TTL the gateway's own answers may be given (one day). */
    public static final long MAX_LOCAL_TTL = 86_400;

    /** A builder holding the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** The resolv.conf followed for upstreams (when no explicit list is given) and for the search list. */
    public Path resolvConf() {
        return resolvConf;
    }

    /** The largest UDP answer ever sent, whatever the client's EDNS0 size says. */
    public int maxUdpPayload() {
        return maxUdpPayload;
    }

    /** The budget for one forwarded query, after which the client gets SERVFAIL. */
    public Duration forwardTimeout() {
        return forwardTimeout;
    }

    @Override
    public String toString() {
        return "DnsConfig[host=" + hostAliasName + "=" + hostAlias + ", gateway=" + gatewayName + ", dhcpDomain="
                + dhcpDomain + ", resolvConf=" + resolvConf + ", upstreams=" + upstreams + ", forwardTimeout="
                + forwardTimeout + ", ttl local/host/negative=" + localTtl + "/" + hostTtl + "/" + negativeTtl + "]";
    }

    /** Builds a {@link DnsConfig}; not thread-safe, use from one thread. */
    public static final class Builder {
        private Name hostAliasName = InternalZone.DEFAULT_HOST_ALIAS_NAME;
        private InetAddress hostAlias = InternalZone.DEFAULT_GATEWAY_ADDRESS;
        private Name gatewayName = InternalZone.DEFAULT_GATEWAY_NAME;
        private InetAddress gatewayAddress = InternalZone.DEFAULT_GATEWAY_ADDRESS;
        private Name dhcpDomain = InternalZone.DEFAULT_DHCP_DOMAIN;
        private final Map<String, InetAddress> staticHosts = new LinkedHashMap<>();
        private Path resolvConf = ResolvConfWatcher.DEFAULT_PATH;
        private List<InetSocketAddress> fallbackUpstreams = ResolvConfWatcher.DEFAULT_FALLBACK;
        private List<InetSocketAddress> upstreams;
        private UpstreamSource upstreamSource;
        private HostResolver hostResolver;
        private HostRecordResolver hostRecordResolver;
        private Duration forwardTimeout = Duration.ofMillis(2500);
        private Duration attemptTimeout = Duration.ofMillis(1000);
        private Duration hostLookupTimeout = Duration.ofMillis(2000);
        private int maxUdpPayload = 4096;
        private int workerThreads = 8;
        private int queueCapacity = 512;
        private long localTtl = DEFAULT_LOCAL_TTL;
        private long hostTtl = DEFAULT_LOCAL_TTL;
        private long negativeTtl = DEFAULT_LOCAL_TTL;
        private Dns64 dns64;

        private Builder() {}

        /** The host alias (default host.lima.internal. -> 192.168.104.2); a null name disables it. */
        public Builder hostAlias(String name, InetAddress address) {
            this.hostAliasName = name == null ? null : absolute(name);
            this.hostAlias = name == null ? null : Objects.requireNonNull(address, "address");
            return this;
        }

        /** The gateway's own name (default gateway.lima.internal. -> 192.168.104.2); a null name disables it. */
        public Builder gatewayName(String name, InetAddress address) {
            this.gatewayName = name == null ? null : absolute(name);
            this.gatewayAddress = name == null ? null : Objects.requireNonNull(address, "address");
            return this;
        }

        /** The domain DHCP hostnames are registered under (default internal.). */
        public Builder dhcpDomain(String domain) {
            this.dhcpDomain = absolute(domain);
            return this;
        }

        /** A static name, as {@code --dns-host NAME=IP}. */
        public Builder staticHost(String name, InetAddress address) {
            absolute(name);
            staticHosts.put(name, Objects.requireNonNull(address, "address"));
            return this;
        }

        /** The resolv.conf to follow (default /etc/resolv.conf). */
        public Builder resolvConf(Path path) {
            this.resolvConf = Objects.requireNonNull(path, "path");
            return this;
        }

        /** Upstreams used when resolv.conf names none (default 8.8.8.8 and 1.1.1.1). */
        public Builder fallbackUpstreams(List<InetSocketAddress> fallback) {
            if (fallback.isEmpty()) {
                throw new IllegalArgumentException("fallback must not be empty");
            }
            this.fallbackUpstreams = List.copyOf(fallback);
            return this;
        }

        /** A fixed upstream list, with ports, instead of resolv.conf's nameservers; null to follow resolv.conf. */
        public Builder upstreams(List<InetSocketAddress> upstreams) {
            this.upstreams = upstreams;
            return this;
        }

        /** A custom upstream source; wins over {@link #upstreams} and resolv.conf. */
        public Builder upstreamSource(UpstreamSource source) {
            this.upstreamSource = source;
            return this;
        }

        /** The A/AAAA resolver (default {@link OsHostResolver}). */
        public Builder hostResolver(HostResolver resolver) {
            this.hostResolver = resolver;
            return this;
        }

        /** The CNAME/TXT/NS/MX/SRV resolver (default {@link UpstreamRecordResolver} on the upstreams). */
        public Builder hostRecordResolver(HostRecordResolver resolver) {
            this.hostRecordResolver = resolver;
            return this;
        }

        /** Budget of one forwarded query (default 2.5 s) and of one upstream attempt within it (default 1 s). */
        public Builder forwardTimeout(Duration total, Duration perAttempt) {
            this.forwardTimeout = positive(total);
            this.attemptTimeout = positive(perAttempt);
            return this;
        }

        /** Budget of one host resolver call (default 2 s); on expiry the client gets SERVFAIL. */
        public Builder hostLookupTimeout(Duration timeout) {
            this.hostLookupTimeout = positive(timeout);
            return this;
        }

        /** The cap on UDP answers whatever the client's EDNS0 size (default 4096, at least 512). */
        public Builder maxUdpPayload(int bytes) {
            if (bytes < 512 || bytes > DnsTransport.MAX_MESSAGE) {
                throw new IllegalArgumentException("maxUdpPayload out of range: " + bytes);
            }
            this.maxUdpPayload = bytes;
            return this;
        }

        /** Worker threads for blocking lookups (default 8) and how many lookups may wait (default 512). */
        public Builder workers(int threads, int queueCapacity) {
            if (threads < 1 || queueCapacity < 1) {
                throw new IllegalArgumentException("threads and queueCapacity must be positive");
            }
            this.workerThreads = threads;
            this.queueCapacity = queueCapacity;
            return this;
        }

        /**
         * TTLs in seconds for internal answers and host-resolver answers (both default {@link #DEFAULT_LOCAL_TTL};
         * 0 asks resolvers not to cache them), at most {@link #MAX_LOCAL_TTL}.
         */
        public Builder ttls(long local, long host) {
            this.localTtl = ttl(local);
            this.hostTtl = ttl(host);
            return this;
        }

        /**
         * The negative-caching time in seconds of the gateway's NODATA and NXDOMAIN answers: the TTL and the MINIMUM
         * of the SOA they carry (default {@link #DEFAULT_LOCAL_TTL}), at most {@link #MAX_LOCAL_TTL}.
         */
        public Builder negativeTtl(long seconds) {
            this.negativeTtl = ttl(seconds);
            return this;
        }

        /** Turns DNS64 on with {@code dns64} (null: off, the default). */
        public Builder dns64(Dns64 dns64) {
            this.dns64 = dns64;
            return this;
        }

        private static long ttl(long seconds) {
            if (seconds < 0 || seconds > MAX_LOCAL_TTL) {
                throw new IllegalArgumentException("TTL must be 0.." + MAX_LOCAL_TTL + " seconds: " + seconds);
            }
            return seconds;
        }

        /** The configuration. */
        public DnsConfig build() {
            return new DnsConfig(this);
        }

        private static Duration positive(Duration d) {
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("duration must be positive: " + d);
            }
            return d;
        }

        private static Name absolute(String name) {
            try {
                return Name.fromString(name.endsWith(".") ? name : name + ".");
            } catch (TextParseException e) {
                throw new IllegalArgumentException("invalid name: " + name, e);
            }
        }
    }
}
