package io.userv2.dns;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.PTRRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.ReverseMap;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * The DNS service at the gateway: turns one raw query into one raw answer, following the Lima host-resolver rules
 * (see the package documentation). It knows nothing about Ethernet or sockets; a front end hands it messages and
 * sends back what the returned future completes with.
 *
 * <p><b>Threads.</b> {@link #answer} never blocks and never throws: it validates the query on the caller's thread,
 * answers internal names (and malformed input) right there with an already-completed future, and hands everything
 * that may block (host lookups, upstream forwarding) to a small bounded pool of daemon worker threads this server
 * owns. When that pool is saturated the query is answered SERVFAIL at once. Futures therefore complete on the caller's
 * thread or a worker thread; callbacks attached to them must be quick or hop to their own executor. The future never
 * completes exceptionally and every path has a time bound (host lookup, then forwarding within
 * {@link DnsConfig#forwardTimeout()}).
 *
 * <p><b>Buffers.</b> {@link #answer} copies the query bytes before it returns, so the caller may reuse its buffer at
 * once; the array a future completes with is fresh and belongs to the caller. An empty array means "send nothing".
 *
 * <p>All methods are thread-safe. {@link #close()} stops the workers; after it, internal names are still answered and
 * everything else gets SERVFAIL.
 */
public final class DnsServer implements AutoCloseable {

    /** Completed by {@link #answer} when nothing must be sent back (a shared empty array: do not write into it). */
    public static final byte[] NO_RESPONSE = new byte[0];

    /** Types looked up "on the host" with the {@link HostRecordResolver}. */
    static final Set<Integer> HOST_RECORD_TYPES = Set.of(Type.CNAME, Type.TXT, Type.NS, Type.MX, Type.SRV);

    private static final AtomicInteger SERVER_IDS = new AtomicInteger();
    private static final Name ARPA = Name.fromConstantString("arpa.");

    private final DnsConfig config;
    private final InternalZone zone;
    private final DnsCounters counters = new DnsCounters();
    private final ResolvConfWatcher resolvConf;
    private final UpstreamSource upstreams;
    private final HostResolver hostResolver;
    private final HostRecordResolver hostRecordResolver;
    private final UpstreamExchange exchange;
    private final ThreadPoolExecutor workers;
    private final RecentHostNames recentHostNames;
    /** A/AAAA host lookups running now, by {@link RecentHostNames#key}; at most one entry per queued task. */
    private final ConcurrentHashMap<String, CompletableFuture<HostStep>> hostLookupsInFlight =
            new ConcurrentHashMap<>();

    private DnsServer(DnsConfig config) {
        this.config = config;
        this.zone = new InternalZone(config.hostAliasName, config.hostAlias, config.gatewayName,
                config.gatewayAddress, config.dhcpDomain);
        config.staticHosts.forEach(zone::addStatic);
        this.resolvConf = new ResolvConfWatcher(config.resolvConf, config.fallbackUpstreams, System::nanoTime,
                java.time.Duration.ofSeconds(1));
        if (config.upstreamSource != null) {
            this.upstreams = config.upstreamSource;
        } else if (config.upstreams != null) {
            this.upstreams = UpstreamSource.fixed(config.upstreams);
        } else {
            this.upstreams = resolvConf;
        }
        this.hostResolver = config.hostResolver != null ? config.hostResolver : new OsHostResolver();
        this.hostRecordResolver = config.hostRecordResolver != null ? config.hostRecordResolver
                : new UpstreamRecordResolver(upstreams, config.forwardTimeout, config.attemptTimeout);
        this.exchange = new UpstreamExchange(config.attemptTimeout.toNanos(), 2);
        this.recentHostNames = new RecentHostNames(RecentHostNames.DEFAULT_CAPACITY,
                RecentHostNames.DEFAULT_MAX_AGE_NANOS, System::nanoTime);
        int id = SERVER_IDS.incrementAndGet();
        AtomicInteger threadIds = new AtomicInteger();
        ThreadFactory tf = r -> {
            Thread t = new Thread(r, "userv2-dns-" + id + "-" + threadIds.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
        this.workers = new ThreadPoolExecutor(config.workerThreads, config.workerThreads, 30, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(config.queueCapacity), tf, new ThreadPoolExecutor.AbortPolicy());
        this.workers.allowCoreThreadTimeOut(true);
    }

    /** Builds a server; it starts no thread until the first blocking lookup. */
    public static DnsServer create(DnsConfig config) {
        return new DnsServer(config);
    }

    /** The names this server answers itself; the DHCP server and the HTTP API update it. */
    public InternalZone zone() {
        return zone;
    }

    /** What this server has done so far. */
    public DnsCounters counters() {
        return counters;
    }

    /** The configuration it was built from. */
    public DnsConfig config() {
        return config;
    }

    /**
     * The upstreams a query forwarded now would use. May read resolv.conf (at most once a second) on the calling
     * thread, so keep it off latency-critical loops.
     */
    public List<InetSocketAddress> upstreams() {
        return upstreams.upstreams();
    }

    /**
     * The search list of the followed resolv.conf, for the DHCP domain search option. May read the file (at most
     * once a second) on the calling thread.
     */
    public List<String> searchDomains() {
        return resolvConf.searchDomains();
    }

    /**
     * Answers one raw DNS message.
     *
     * @param query the bytes of one DNS message (no TCP length prefix); copied before this returns, never retained
     * @param offset where the message starts in {@code query}
     * @param length its length
     * @param transport how it arrived, which bounds the answer's size
     * @return a future with the answer bytes (fresh, owned by the caller), or {@link #NO_RESPONSE}; never fails
     */
    public CompletableFuture<byte[]> answer(byte[] query, int offset, int length, DnsTransport transport) {
        try {
            return answer(Arrays.copyOfRange(query, offset, offset + length), transport);
        } catch (RuntimeException e) {
            counters.dropped.increment();
            return CompletableFuture.completedFuture(NO_RESPONSE);
        }
    }

    /**
     * Answers the DNS message in {@code query}'s remaining bytes; the buffer's position is not changed and the buffer
     * is not retained (the caller keeps ownership).
     *
     * @see #answer(byte[], int, int, DnsTransport)
     */
    public CompletableFuture<byte[]> answer(ByteBuffer query, DnsTransport transport) {
        try {
            ByteBuffer d = query.duplicate();
            byte[] copy = new byte[d.remaining()];
            d.get(copy);
            return answer(copy, transport);
        } catch (RuntimeException e) {
            counters.dropped.increment();
            return CompletableFuture.completedFuture(NO_RESPONSE);
        }
    }

    private CompletableFuture<byte[]> answer(byte[] raw, DnsTransport transport) {
        counters.queries.increment();
        DnsQuery q;
        try {
            if (raw.length < 2) {
                counters.dropped.increment(); // not even an ID to answer to
                return done(NO_RESPONSE);
            }
            if (raw.length >= 3 && (raw[2] & 0x80) != 0) {
                // A response, not a query. Answering it (even FORMERR) could start a loop between two servers,
                // so, like BIND and Unbound, drop it.
                counters.dropped.increment();
                return done(NO_RESPONSE);
            }
            if (raw.length < 12) {
                return formerr(raw);
            }
            int opcode = (raw[2] >>> 3) & 0x0F;
            if (opcode != Opcode.QUERY) {
                counters.notImplemented.increment();
                return done(DnsResponses.headerOnly(raw, Rcode.NOTIMP));
            }
            Message m;
            try {
                m = new Message(raw);
            } catch (IOException | RuntimeException e) {
                return formerr(raw);
            }
            if (m.getHeader().getCount(org.xbill.DNS.Section.QUESTION) != 1 || m.getQuestion() == null) {
                return formerr(raw);
            }
            OPTRecord opt = m.getOPT();
            q = new DnsQuery(raw, m, m.getQuestion(), opt, transport,
                    DnsQuery.limit(transport, opt, config.maxUdpPayload));
            if (opt != null && opt.getVersion() != 0) {
                // RFC 6891 6.1.3: a version we do not implement gets BADVERS (extended rcode 16) with our OPT.
                return done(serialise(q, DnsResponses.start(q, Rcode.BADVERS, false, ednsPayload(q))));
            }
        } catch (RuntimeException e) {
            counters.dropped.increment();
            return done(NO_RESPONSE);
        }
        try {
            byte[] local = localAnswer(q);
            if (local != null) {
                counters.answeredLocally.increment();
                return done(local);
            }
            return route(q).handle((bytes, err) -> {
                if (err != null || bytes == null) {
                    return servfail(q);
                }
                return bytes;
            });
        } catch (RuntimeException e) {
            return done(servfail(q));
        }
    }

    private static CompletableFuture<byte[]> done(byte[] b) {
        return CompletableFuture.completedFuture(b);
    }

    private CompletableFuture<byte[]> formerr(byte[] raw) {
        counters.formerr.increment();
        return done(DnsResponses.headerOnly(raw, Rcode.FORMERR));
    }

    private byte[] servfail(DnsQuery q) {
        counters.servfail.increment();
        try {
            return serialise(q, DnsResponses.start(q, Rcode.SERVFAIL, false, ednsPayload(q)));
        } catch (RuntimeException e) {
            return DnsResponses.headerOnly(q.raw(), Rcode.SERVFAIL);
        }
    }

    /** The UDP payload size we advertise in an OPT echo. */
    private int ednsPayload(DnsQuery q) {
        return q.transport().isTcp() ? config.maxUdpPayload : Math.min(config.maxUdpPayload,
                q.transport().maxMessageSize());
    }

    /** Serialises within the query's limit, setting TC (and counting it) when records had to be dropped. */
    private byte[] serialise(DnsQuery q, Message r) {
        byte[] wire = r.toWire(q.limit());
        if (DnsResponses.truncated(wire)) {
            counters.truncated.increment();
        }
        return wire;
    }

    // ---- internal names -----------------------------------------------------------------------------------------

    /** The answer for a name the internal zone owns, or null when it does not own it. */
    private byte[] localAnswer(DnsQuery q) {
        Record question = q.question();
        int dclass = question.getDClass();
        if (dclass != DClass.IN && dclass != DClass.ANY) {
            return null;
        }
        Name name = question.getName();
        int type = question.getType();
        long ttl = config.localTtl;
        List<Record> answers = new ArrayList<>();
        List<Name> ptrNames = zone.reverseLookup(name);
        if (!ptrNames.isEmpty()) {
            if (type == Type.PTR || type == Type.ANY) {
                for (Name target : ptrNames) {
                    answers.add(new PTRRecord(name, DClass.IN, ttl, target));
                }
            }
        } else {
            List<InetAddress> all = zone.lookupAll(name);
            if (all.isEmpty()) {
                return null;
            }
            for (InetAddress a : all) {
                if (InternalZone.isV4(a) && (type == Type.A || type == Type.ANY)) {
                    answers.add(new ARecord(name, DClass.IN, ttl, a));
                } else if (InternalZone.isV6(a) && (type == Type.AAAA || type == Type.ANY)) {
                    answers.add(new AAAARecord(name, DClass.IN, ttl, a));
                }
            }
            if ((type == Type.SOA || type == Type.ANY) && zone.apexOf(name).equals(name)) {
                answers.add(soa(name)); // an owned name that is its zone's apex (an API "@" record, a --dns-host name)
            }
        }
        if (answers.isEmpty()) {
            // An owned name asked for a type we have no data for: NOERROR with no answer (NODATA), and the zone's
            // SOA so that the resolver may cache that (RFC 2308 section 2.2).
            return serialise(q, DnsResponses.negative(q, Rcode.NOERROR, true, soa(name), ednsPayload(q)));
        }
        return serialise(q, DnsResponses.withAnswers(q, answers, true, ednsPayload(q)));
    }

    /** The SOA for negative answers about {@code name}: its zone's (or its own, for names outside the zones). */
    private Record soa(Name name) {
        return ZoneSoa.of(zone.apexOf(name), config.gatewayName, zone.serial(), config.negativeTtl);
    }

    /**
     * NODATA for a name of the gateway's zones that exists without records of the asked type: an apex or an empty
     * non-terminal (RFC 8020 section 2: NXDOMAIN there would deny every name below). An SOA query at an apex gets
     * the SOA itself.
     */
    private byte[] interiorAnswer(DnsQuery q) {
        Name name = q.question().getName();
        int type = q.question().getType();
        if ((type == Type.SOA || type == Type.ANY) && zone.apexOf(name).equals(name)) {
            return serialise(q, DnsResponses.withAnswers(q, List.of(soa(name)), true, ednsPayload(q)));
        }
        return serialise(q, DnsResponses.negative(q, Rcode.NOERROR, true, soa(name), ednsPayload(q)));
    }

    /**
     * An upstream NXDOMAIN (with no answer records, so it is about the name asked) for a name under one of the
     * gateway's zones, re-issued with the zone's SOA: resolvers cache it for the gateway's short negative TTL
     * rather than the upstream's (often the root's day), so a VM that registers the name later is found soon. Left as
     * it came when the upstream's own SOA is of a real zone below ours (a corporate {@code corp.internal}) or when the
     * name is in none of the gateway's zones.
     */
    private byte[] zoneNxdomain(DnsQuery q, byte[] reply) {
        Name name = q.question().getName();
        Name apex = zone.zoneApexOf(name);
        if (apex == null) {
            return reply;
        }
        try {
            for (Record r : new Message(reply).getSection(Section.AUTHORITY)) {
                if (r.getType() == Type.SOA && !r.getName().equals(apex) && r.getName().subdomain(apex)) {
                    return reply;
                }
            }
        } catch (IOException | RuntimeException e) {
            return reply;
        }
        return serialise(q, DnsResponses.negative(q, Rcode.NXDOMAIN, true, soa(name), ednsPayload(q)));
    }

    // ---- host lookups and forwarding ----------------------------------------------------------------------------

    /** True for names under {@code arpa.} (reverse and infrastructure names): never looked up on the host. */
    private static boolean underArpa(Name name) {
        return name.subdomain(ARPA);
    }

    private CompletableFuture<byte[]> route(DnsQuery q) {
        Record question = q.question();
        int type = question.getType();
        boolean in = question.getDClass() == DClass.IN;
        boolean named = question.getName().labels() > 1; // not the root
        // Names the host resolver may be asked about, or whose upstream NXDOMAIN it may overrule. Never arpa names:
        // getaddrinfo would only send them upstream again, on one of our workers.
        boolean hostName = in && named && !underArpa(question.getName());
        if (hostName && (type == Type.A || type == Type.AAAA)) {
            CompletableFuture<HostStep> step = this.<HostStep>onWorker(() -> hostAddresses(q))
                    .orTimeout(config.hostLookupTimeout.toMillis(), TimeUnit.MILLISECONDS);
            // Visible while it runs, so that a parallel HTTPS/TXT query of the name (browsers send them together)
            // can wait for it rather than pass on an upstream NXDOMAIN (see afterForward).
            String key = RecentHostNames.key(question.getName().toString(true));
            hostLookupsInFlight.put(key, step);
            step.whenComplete((s, err) -> hostLookupsInFlight.remove(key, step));
            return step.thenCompose(s -> s.answer() != null ? done(s.answer()) : forward(q, false, s.host()));
        }
        if (in && type == Type.PTR && config.dns64 != null) {
            Inet4Address embedded = dns64Embedded(question.getName());
            if (embedded != null) {
                return onWorker(() -> dns64Ptr(q, embedded))
                        .orTimeout(config.forwardTimeout.toMillis() + 500, TimeUnit.MILLISECONDS);
            }
        }
        if (hostName && hostResolver.listsOnlyAddresses(question.getName().toString(true))) {
            // A hosts-file name asked MX, TXT, HTTPS...: it has nothing but addresses. Forwarding would bring back
            // the upstream's NXDOMAIN, which systemd-resolved caches for every type of the name (its A too).
            return onWorker(() -> hostOtherType(q));
        }
        if (in && zone.isInterior(question.getName())) {
            return forward(q, false, HostAnswer.NONE); // NODATA unless the upstream has data there (see afterForward)
        }
        if (in && HOST_RECORD_TYPES.contains(type)) {
            return onWorker(() -> hostRecords(q))
                    .orTimeout(config.forwardTimeout.toMillis() + 500, TimeUnit.MILLISECONDS)
                    .thenCompose(b -> b != null ? done(b) : forward(q, hostName, HostAnswer.NONE));
        }
        return forward(q, hostName, HostAnswer.NONE);
    }

    /**
     * What the A/AAAA host lookup came to: the answer to send ({@code answer} non-null), or nothing yet, and then
     * what the host resolver found ({@link HostAnswer#NONE} when it does not know the name), carried into forwarding.
     */
    private record HostStep(byte[] answer, HostAnswer host) {}

    /**
     * A/AAAA through the host resolver. Its addresses of the family asked are the answer. When it knows the name
     * with the other family only: a table that lists every address of its names (a hosts file) is believed, so the
     * answer is NODATA here (with an SOA, never forwarded), or DNS64's synthesis; the OS resolver is not (glibc
     * returns IPv4 alone when the AAAA lookup timed out or failed, or with {@code options no-aaaa}), so the query is
     * forwarded and {@link #afterForward} turns only an upstream NXDOMAIN or failure into NODATA. An unknown name is
     * forwarded.
     */
    private HostStep hostAddresses(DnsQuery q) throws IOException {
        Name name = q.question().getName();
        String text = name.toString(true);
        boolean v4 = q.question().getType() == Type.A;
        HostAnswer found = hostResolver.lookup(text);
        if (found.known()) {
            recentHostNames.add(text);
        }
        List<Record> answers = new ArrayList<>();
        for (InetAddress a : found.addresses()) {
            if (v4 && InternalZone.isV4(a)) {
                answers.add(new ARecord(name, DClass.IN, config.hostTtl, a));
            } else if (!v4 && InternalZone.isV6(a)) {
                answers.add(new AAAARecord(name, DClass.IN, config.hostTtl, a));
            }
        }
        if (!answers.isEmpty()) {
            counters.hostResolved.increment();
            return new HostStep(serialise(q, DnsResponses.withAnswers(q, answers, false, ednsPayload(q))), found);
        }
        if (found.known() && found.bothFamilies() && hostResolver.listsOnlyAddresses(text)) {
            return new HostStep(hostMissingFamily(q, found), found);
        }
        return new HostStep(null, found);
    }

    /**
     * The answer for a name the host resolver knows without an address of the family asked: DNS64's synthesis for
     * AAAA when it is on and the name has IPv4 addresses it may translate, else NODATA.
     */
    private byte[] hostMissingFamily(DnsQuery q, HostAnswer found) {
        Name name = q.question().getName();
        if (q.question().getType() == Type.AAAA && config.dns64 != null) {
            // RFC 6147 5.1.7: the TTL is the smaller of the A record's and the SOA's minimum (both ours here).
            List<Record> synthesized = synthesize(found.addresses(), name, Math.min(config.hostTtl,
                    config.negativeTtl));
            if (!synthesized.isEmpty()) {
                counters.hostResolved.increment();
                counters.dns64Synthesized.increment();
                return serialise(q, DnsResponses.withAnswers(q, synthesized, false, ednsPayload(q)));
            }
        }
        return hostNodata(q);
    }

    /** A name the host resolver knows, asked a type it has no data for: NODATA with an SOA owned by the name's apex. */
    private byte[] hostNodata(DnsQuery q) {
        counters.hostResolved.increment();
        return serialise(q, DnsResponses.negative(q, Rcode.NOERROR, false, soa(q.question().getName()),
                ednsPayload(q)));
    }

    /**
     * A type other than A/AAAA for a name that has only addresses: its addresses for ANY, the SOA the NODATA answers
     * name for SOA (the name is its own apex unless it lies in one of the gateway's zones), else NODATA.
     */
    private byte[] hostOtherType(DnsQuery q) throws IOException {
        Name name = q.question().getName();
        if (q.question().getType() == Type.SOA && zone.apexOf(name).equals(name)) {
            counters.hostResolved.increment();
            return serialise(q, DnsResponses.withAnswers(q, List.of(soa(name)), false, ednsPayload(q)));
        }
        if (q.question().getType() != Type.ANY) {
            return hostNodata(q);
        }
        List<Record> answers = new ArrayList<>();
        for (InetAddress a : hostResolver.lookup(name.toString(true)).addresses()) {
            answers.add(InternalZone.isV4(a) ? new ARecord(name, DClass.IN, config.hostTtl, a)
                    : new AAAARecord(name, DClass.IN, config.hostTtl, a));
        }
        if (answers.isEmpty()) {
            return hostNodata(q);
        }
        counters.hostResolved.increment();
        return serialise(q, DnsResponses.withAnswers(q, answers, false, ednsPayload(q)));
    }

    /** CNAME/TXT/NS/MX/SRV through the host record resolver; null when it found nothing. */
    private byte[] hostRecords(DnsQuery q) throws IOException {
        List<Record> answers = hostRecordResolver.lookup(q.question().getName(), q.question().getType());
        if (answers == null || answers.isEmpty()) {
            return null;
        }
        counters.hostResolved.increment();
        return serialise(q, DnsResponses.withAnswers(q, answers, false, ednsPayload(q)));
    }

    /**
     * Forwards, then corrects what the upstream cannot know: an apex or empty non-terminal of the gateway's zones is
     * NODATA (also when the upstream failed); a name the host resolver just found ({@code host}, A/AAAA only) is
     * NODATA (or DNS64's synthesis) when the upstream says NXDOMAIN or fails; with {@code askHost}, an NXDOMAIN for a
     * name the host resolver found recently ({@link RecentHostNames}, no new lookup) is NODATA; an NXDOMAIN under the
     * gateway's zones carries the zone's SOA. Completes with null when nothing could be had (the caller answers
     * SERVFAIL).
     */
    private CompletableFuture<byte[]> forward(DnsQuery q, boolean askHost, HostAnswer host) {
        return onWorker(() -> forwardBlocking(q))
                .orTimeout(config.forwardTimeout.toMillis() + 500, TimeUnit.MILLISECONDS)
                .handle((b, err) -> err != null ? null : b)
                .thenCompose(b -> afterForward(q, b, askHost, host));
    }

    private CompletableFuture<byte[]> afterForward(DnsQuery q, byte[] reply, boolean askHost, HostAnswer host) {
        boolean in = q.question().getDClass() == DClass.IN;
        boolean interior = in && zone.isInterior(q.question().getName());
        if (reply == null || (host.known() && DnsResponses.rcode(reply) == Rcode.SERVFAIL)) {
            // Nobody upstream could say: the gateway's own interior names and names the host knows are still known.
            if (interior) {
                return done(interiorAnswer(q));
            }
            return done(host.known() ? hostMissingFamily(q, host) : reply);
        }
        if (config.dns64 != null && in && !interior && q.question().getType() == Type.AAAA
                && DnsResponses.rcode(reply) == Rcode.NOERROR) {
            return onWorker(() -> dns64(q, reply, host))
                    .orTimeout(config.forwardTimeout.toMillis() + 500, TimeUnit.MILLISECONDS)
                    .handle((b, err) -> b != null ? b : reply);
        }
        if (!in || DnsResponses.rcode(reply) != Rcode.NXDOMAIN || DnsResponses.answerCount(reply) != 0) {
            return done(reply); // data, NODATA, an error, or an NXDOMAIN at the end of a CNAME chain: as it came
        }
        if (interior) {
            return done(interiorAnswer(q));
        }
        if (host.known()) {
            return done(hostMissingFamily(q, host)); // the name exists (the host found it), just not this family
        }
        if (askHost) {
            // Another type (HTTPS, TXT, MX...) of a name the host resolver found in the last minutes, or is looking up
            // right now for a parallel A/AAAA query: an NXDOMAIN cached by systemd-resolved would hide its A too.
            // Never a host lookup of its own, so a random name costs the upstream one query and no worker waits.
            String text = q.question().getName().toString(true);
            if (recentHostNames.contains(text)) {
                return done(hostNodata(q));
            }
            CompletableFuture<HostStep> pending = hostLookupsInFlight.get(RecentHostNames.key(text));
            if (pending != null) {
                return pending.handle((s, err) -> s != null && s.host().known() ? hostNodata(q)
                        : zoneNxdomain(q, reply));
            }
        }
        return done(zoneNxdomain(q, reply));
    }

    // ---- DNS64 (RFC 6147) ------------------------------------------------------------------------------------------

    /** AAAA records for the IPv4 addresses among {@code addresses} that DNS64 synthesizes, owned by {@code name}. */
    private List<Record> synthesize(List<InetAddress> addresses, Name name, long ttl) {
        List<Record> out = new ArrayList<>();
        for (InetAddress a : addresses) {
            if (a instanceof Inet4Address v4) {
                Inet6Address v6 = config.dns64.synthesize(v4);
                if (v6 != null) {
                    out.add(new AAAARecord(name, DClass.IN, ttl, v6));
                }
            }
        }
        return out;
    }

    /**
     * The upstream's NOERROR answer to an AAAA query, with DNS64 on: kept when it has AAAA records (RFC 6147 5.1.1);
     * otherwise (NODATA, or a CNAME chain ending without AAAA) AAAA records are synthesized from the name's A records,
     * the host resolver's ({@code host}, what it found before forwarding) first, else the upstream's (asked for A, RFC 6147 5.1.6), with the CNAMEs that led there;
     * null (the reply stays as it came) when there are none to synthesize from.
     */
    private byte[] dns64(DnsQuery q, byte[] reply, HostAnswer host) throws IOException {
        Message m = new Message(reply);
        if (m.getHeader().getFlag(Flags.TC)) {
            return null; // truncated: the client asks again over TCP and we look then
        }
        for (Record r : m.getSection(Section.ANSWER)) {
            if (r.getType() == Type.AAAA) {
                return null;
            }
        }
        // RFC 6147 5.1.7: the synthesized TTL is the smaller of the A record's and the SOA's minimum of the negative
        // answer; without an SOA, the A record's or 600 seconds, whichever is shorter.
        long negative = 600;
        for (Record r : m.getSection(Section.AUTHORITY)) {
            if (r instanceof SOARecord soa) {
                negative = Math.min(soa.getTTL(), soa.getMinimum());
            }
        }
        Name name = q.question().getName();
        List<Record> answers = synthesize(host.addresses(), name, Math.min(config.hostTtl, negative));
        if (answers.isEmpty()) {
            Message aQuery = Message.newQuery(Record.newRecord(name, Type.A, DClass.IN));
            Message a = new Message(exchange.exchange(aQuery.toWire(), upstreams.upstreams(), true,
                    System.nanoTime() + config.forwardTimeout.toNanos()));
            if (a.getRcode() != Rcode.NOERROR) {
                return null;
            }
            List<Record> chain = new ArrayList<>();
            for (Record r : a.getSection(Section.ANSWER)) {
                if (r.getType() == Type.CNAME) {
                    chain.add(r);
                } else if (r instanceof ARecord ar) {
                    List<Record> s = synthesize(List.of(ar.getAddress()), ar.getName(),
                            Math.min(ar.getTTL(), negative));
                    answers.addAll(s);
                }
            }
            if (answers.isEmpty()) {
                return null;
            }
            chain.addAll(answers);
            answers = chain;
        }
        counters.dns64Synthesized.increment();
        return serialise(q, DnsResponses.withAnswers(q, answers, false, ednsPayload(q)));
    }

    /** The IPv4 address a reverse name under {@code ip6.arpa} names inside the NAT64 prefix, else null. */
    private Inet4Address dns64Embedded(Name name) {
        return InternalZone.fromReverseName(name) instanceof Inet6Address v6 ? config.dns64.embedded(v6) : null;
    }

    /**
     * A PTR query for an address in the NAT64 prefix (RFC 6147 5.3.1: the DNS64 "synthesizes a CNAME record mapping
     * the IP6.ARPA namespace to the corresponding IN-ADDR.ARPA name"): the CNAME to {@code v4}'s in-addr.arpa name,
     * then that name's PTR records when they are at hand: the gateway's own names, else the upstream's answer for the
     * in-addr.arpa name (its NXDOMAIN is the answer's rcode, RFC 6604: the rcode is about the last name of the chain).
     * When no upstream answers, the CNAME alone, for the client to follow.
     */
    private byte[] dns64Ptr(DnsQuery q, Inet4Address v4) {
        Name name = q.question().getName();
        Name target = ReverseMap.fromAddress(v4);
        List<Record> answers = new ArrayList<>();
        answers.add(new CNAMERecord(name, DClass.IN, config.localTtl, target));
        counters.dns64Synthesized.increment();
        List<Name> own = zone.reverseLookup(target);
        if (!own.isEmpty()) {
            for (Name n : own) {
                answers.add(new PTRRecord(target, DClass.IN, config.localTtl, n));
            }
            return serialise(q, DnsResponses.withAnswers(q, answers, false, ednsPayload(q)));
        }
        int rcode = Rcode.NOERROR;
        List<Record> authority = List.of();
        List<InetSocketAddress> servers = upstreams.upstreams();
        if (!servers.isEmpty()) {
            try {
                Message ptr = Message.newQuery(Record.newRecord(target, Type.PTR, DClass.IN));
                Message reply = new Message(exchange.exchange(ptr.toWire(), servers, true,
                        System.nanoTime() + config.forwardTimeout.toNanos()));
                if (reply.getRcode() == Rcode.NOERROR || reply.getRcode() == Rcode.NXDOMAIN) {
                    rcode = reply.getRcode();
                    for (Record r : reply.getSection(Section.ANSWER)) {
                        if (r.getType() == Type.PTR || r.getType() == Type.CNAME) {
                            answers.add(r);
                        }
                    }
                    authority = reply.getSection(Section.AUTHORITY);
                }
                counters.forwarded.increment();
            } catch (IOException | RuntimeException e) {
                // nobody upstream could say: the CNAME alone
            }
        }
        Message r = DnsResponses.withAnswers(q, answers, false, ednsPayload(q));
        r.getHeader().setRcode(rcode);
        for (Record a : authority) {
            if (a.getType() == Type.SOA) {
                r.addRecord(a, Section.AUTHORITY); // lets the client cache the negative part (RFC 2308)
            }
        }
        return serialise(q, r);
    }

    /**
     * Sends the client's query unchanged (same ID) to the upstreams; returns their reply, re-truncated when it is
     * larger than the client may receive; null (SERVFAIL) when nobody answered in time.
     */
    private byte[] forwardBlocking(DnsQuery q) {
        byte[] reply;
        try {
            reply = exchange.exchange(q.raw(), upstreams.upstreams(), q.transport().isTcp(),
                    System.nanoTime() + config.forwardTimeout.toNanos());
        } catch (IOException e) {
            return null;
        }
        if (reply.length > q.limit()) {
            try {
                reply = new Message(reply).toWire(q.limit());
            } catch (IOException | RuntimeException e) {
                return null;
            }
        }
        if (DnsResponses.truncated(reply) && !q.transport().isTcp()) {
            counters.truncated.increment();
        }
        counters.forwarded.increment();
        return reply;
    }

    private <T> CompletableFuture<T> onWorker(Callable<T> work) {
        CompletableFuture<T> f = new CompletableFuture<>();
        try {
            workers.execute(() -> {
                try {
                    f.complete(work.call());
                } catch (Throwable e) {
                    f.completeExceptionally(e);
                }
            });
        } catch (RejectedExecutionException e) {
            counters.rejected.increment();
            f.completeExceptionally(e);
        }
        return f;
    }

    /** Stops the worker threads (waiting at most a second for running lookups); idempotent. */
    @Override
    public void close() {
        workers.shutdownNow();
        try {
            workers.awaitTermination(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Counters and the internal names, for logs. */
    @Override
    public String toString() {
        return "DnsServer[" + counters.snapshot() + ", names=" + Map.copyOf(zone.names()).size() + "]";
    }
}
