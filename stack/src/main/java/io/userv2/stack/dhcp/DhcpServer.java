package io.userv2.stack.dhcp;

import io.userv2.stack.gateway.Gateway;
import io.userv2.stack.gateway.UdpDatagram;
import io.userv2.stack.gateway.UdpSender;
import io.userv2.stack.gateway.UdpService;
import io.userv2.stack.wire.DhcpMessageType;
import io.userv2.stack.wire.DhcpPacket;
import io.userv2.stack.wire.DhcpRepr;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.MacAddress;
import io.userv2.stack.wire.ParseResult;
import java.util.List;
import java.util.Objects;

/**
 * The DHCP server of the virtual LAN (RFC 2131, options of RFC 2132 and RFC 3397), as a sans-IO {@link UdpService}
 * bound to the gateway's UDP port 67: it reads client messages from {@link #datagram} and answers from
 * {@code serverIp:67} to port 68 through a {@link UdpSender} (the {@link Gateway}). Leases live in a
 * {@link LeaseTable}; see there for the allocation policy.
 *
 * <p>Messages (RFC 2131 section 4.3):
 * <ul>
 *   <li>DISCOVER: OFFER of the address the table chooses; nothing when the pool is exhausted.</li>
 *   <li>REQUEST, told apart as in 4.3.2: with Server Identifier = SELECTING (another server's id: the held offer is
 *       withdrawn, no answer); with Requested IP Address but no Server Identifier = INIT-REBOOT; with neither but
 *       ciaddr = RENEWING (unicast) or REBINDING (broadcast). ACK when the address is the client's or free for it, NAK
 *       otherwise ("Server SHOULD send a DHCPNAK message to the client if the 'requested IP address' is incorrect,
 *       or is on the wrong network"). Deliberate deviation: an INIT-REBOOT client the server has no record of is
 *       ACKed when its address is free (the RFC says "remain silent"), so that a VM keeps its address across a
 *       server restart without a lease file.</li>
 *   <li>DECLINE: the address is marked unusable for {@link DhcpConfig#declineHoldSeconds()}; a client with a static
 *       lease is offered a pool address meanwhile.</li>
 *   <li>RELEASE: the lease ends; the association stays, so the client gets the same address back.</li>
 *   <li>INFORM: ACK with the configuration options, no lease time and no yiaddr ("The server MUST NOT send a lease
 *       expiration time to the client and SHOULD NOT fill in 'yiaddr'"), unicast to ciaddr.</li>
 * </ul>
 * Every OFFER and ACK carries options 53, 54, 51, 58, 59 (not for INFORM), 1, 3, 6, 15 and 119 (when configured),
 * 26 (when configured) and 28, whatever the Parameter Request List says; a NAK carries 53, 54 and 56. Every reply
 * (OFFER, ACK, NAK, the ACK to an INFORM) also carries the client's Client-identifier (61) when its message had one,
 * byte for byte: RFC 6842 section 3, "If the 'client identifier' option is present in a message received from a
 * client, the server MUST return the 'client identifier' option, unaltered, in its response message" (which updates
 * Table 3 of RFC 2131, where it was MUST NOT). A message whose identifier is longer than one option instance
 * ({@link #MAX_CLIENT_ID_LENGTH} octets) is dropped as malformed, so that an echo cannot grow a reply without bound.
 * The identifier does not key the lease: see {@link LeaseTable} (by hardware address). An OFFER or ACK is kept within
 * the size the client takes (576-octet datagrams unless it sent option 57): the least important options (119 first;
 * never 61) are left out until it fits, and counted ({@link ReplySize}, {@link DhcpCounters#optionsLeftOut()}).
 *
 * <p>Reply addressing (RFC 2131 4.1): "If the 'giaddr' field is zero and the 'ciaddr' field is nonzero, then the server
 * unicasts DHCPOFFER and DHCPACK messages to the address in 'ciaddr'. If 'giaddr' is zero and 'ciaddr' is zero, and
 * the broadcast bit is set, then the server broadcasts DHCPOFFER and DHCPACK messages to 0xffffffff. If the broadcast
 * bit is not set and 'giaddr' is zero and 'ciaddr' is zero, then the server unicasts DHCPOFFER and DHCPACK messages to
 * the client's hardware address and 'yiaddr' address. In all cases, when 'giaddr' is zero, the server broadcasts any
 * DHCPNAK messages to 0xffffffff." Relayed messages (giaddr set) come from networks this server does not serve and
 * are dropped.
 *
 * <p>Durability (the sans-IO form of "the lease is on disk before its ACK leaves"): every REQUEST that binds saves a
 * snapshot of the table to the {@link LeaseStore}, and its ACK is held until the store reports that snapshot (or a
 * later one) through the {@link SaveCompletion} it was given; the engine never waits. A synchronous store reports
 * from inside {@code save}, so the ACK leaves at once. At most {@link #MAX_HELD_ACKS} ACKs are held (one more is
 * dropped and counted as {@link DhcpDropReason#ACK_BACKLOG}). A failed write releases the held ACKs anyway (the
 * lease is valid in memory; only its survival across a restart is lost) and is reported once per run of failures to
 * {@link DhcpEventListener#storeFailed}. OFFERs, NAKs and INFORM answers bind nothing and are never held.
 *
 * <p>Malformed messages are dropped and counted ({@link DhcpCounters}); nothing here throws for bad input. Time comes
 * in as monotonic nanoseconds; wall-clock lease expiry (for persistence) is derived from the {@link TimeBase} given
 * at construction. Call {@link #expire} periodically (every few seconds) so that listeners hear of expired leases.
 *
 * <p>Not thread-safe: one server is owned by the gateway's event-loop thread.
 */
public final class DhcpServer implements UdpService {
    /** The server port (RFC 2131 section 4.1). */
    public static final int SERVER_PORT = 67;
    /** The client port. */
    public static final int CLIENT_PORT = 68;
    /** Most DHCPACKs held at once while the {@link LeaseStore} writes (see the class comment). */
    public static final int MAX_HELD_ACKS = 256;
    /**
     * The longest Client-identifier accepted (and so echoed): one option instance. Longer ones are legal only
     * through RFC 3396 concatenation, which no client uses for it (a DUID-based identifier, RFC 4361, is at most
     * 1 + 4 + 130 octets).
     */
    public static final int MAX_CLIENT_ID_LENGTH = 255;

    private final DhcpConfig config;
    private final UdpSender out;
    private final DhcpCounters counters = new DhcpCounters();
    private final LeaseTable table;
    private final AckGate acks;
    private DhcpEventListener events = new DhcpEventListener() { };

    /**
     * A server for {@code config} that answers through {@code out} (the gateway, whose IP must be
     * {@code config.serverIp()}), loading its leases from {@code store} now and saving to it on every change (ACKs
     * wait for the store's report, see the class comment).
     *
     * @param nowNanos   the engine's monotonic time now
     * @param wallMillis the wall-clock time now (epoch ms), read together with {@code nowNanos}
     */
    public DhcpServer(DhcpConfig config, UdpSender out, LeaseStore store, long nowNanos, long wallMillis) {
        this.config = Objects.requireNonNull(config, "config");
        this.out = Objects.requireNonNull(out, "out");
        this.acks = new AckGate(this::sendAck, counters, MAX_HELD_ACKS);
        this.table = new LeaseTable(config, TimeBase.of(nowNanos, wallMillis), Objects.requireNonNull(store, "store"),
                acks);
        List<Lease> loaded = store.load();
        table.restore(loaded == null ? List.of() : loaded, nowNanos);
    }

    /**
     * Creates a server answering through {@code gateway} (whose address must be the configured server address) and
     * binds it to the gateway's UDP port 67.
     */
    public static DhcpServer attach(Gateway gateway, DhcpConfig config, LeaseStore store, long nowNanos,
                                    long wallMillis) {
        if (!gateway.ip().equals(config.serverIp()) || !gateway.subnet().equals(config.subnet())) {
            throw new IllegalArgumentException("DHCP config " + config.serverIp() + " on " + config.subnet()
                    + " does not match " + gateway);
        }
        DhcpServer server = new DhcpServer(config, gateway, store, nowNanos, wallMillis);
        gateway.bindUdp(SERVER_PORT, server);
        return server;
    }

    /**
     * Installs the lease listener (replacing any previous one) and replays every lease active at {@code nowNanos}
     * to it through {@link LeaseListener#onLease}, so it starts in step (e.g. with leases restored from the store).
     */
    public void setLeaseListener(LeaseListener listener, long nowNanos) {
        table.setLeaseListener(listener, nowNanos);
    }

    /** Installs the listener for events worth logging (replacing any previous one). */
    public void setEventListener(DhcpEventListener listener) {
        this.events = Objects.requireNonNull(listener, "listener");
        table.setEventListener(listener);
        acks.setEventListener(listener);
    }

    /** The configuration. */
    public DhcpConfig config() {
        return config;
    }

    /** The counters (live). */
    public DhcpCounters counters() {
        return counters;
    }

    /** DHCPACKs waiting for the {@link LeaseStore} to report their snapshot (see the class comment). */
    public int heldAcks() {
        return acks.held();
    }

    /** Every lease (bound at least once, or static), ordered by address; filter with {@link Lease#isActiveAt}. */
    public List<Lease> leases() {
        return table.leases();
    }

    /** The lease of {@code mac}, or null. */
    public Lease lease(MacAddress mac) {
        return table.lease(mac);
    }

    /** Ends leases whose time is up (the listener hears {@link LeaseListener#onExpire}), lapses offers and declines. */
    public void expire(long nowNanos) {
        table.expire(nowNanos);
    }

    /**
     * Handles one message from a client. The datagram's payload is borrowed for the duration of the call; replies are
     * built in new frames.
     */
    @Override
    public void datagram(UdpDatagram d, long nowNanos) {
        counters.receivedOne();
        DhcpPacket packet = DhcpPacket.checked(d.payload()).orNull();
        ParseResult<DhcpRepr> parsed = packet == null ? null : DhcpRepr.parse(packet);
        if (parsed == null || !(parsed instanceof ParseResult.Ok<DhcpRepr> ok)) {
            counters.drop(DhcpDropReason.MALFORMED);
            return;
        }
        DhcpRepr r = ok.value();
        if (r.op() != DhcpRepr.Op.BOOTREQUEST) {
            counters.drop(DhcpDropReason.NOT_A_REQUEST);
            return;
        }
        if (r.messageType() == null) {
            counters.drop(DhcpDropReason.BOOTP);
            return;
        }
        if (r.chaddr().isMulticast() || r.chaddr().equals(MacAddress.ZERO)) {
            counters.drop(DhcpDropReason.MALFORMED);
            return;
        }
        if (r.clientId() != null && r.clientId().length() > MAX_CLIENT_ID_LENGTH) {
            counters.drop(DhcpDropReason.MALFORMED);
            return;
        }
        if (r.giaddr().bits() != 0) {
            counters.drop(DhcpDropReason.RELAYED);
            return;
        }
        switch (r.messageType().value()) {
            case 1 -> discover(r, nowNanos);
            case 3 -> request(d, r, nowNanos);
            case 4 -> decline(r, nowNanos);
            case 7 -> release(r, nowNanos);
            case 8 -> inform(d, r);
            default -> counters.drop(DhcpDropReason.UNEXPECTED_TYPE);
        }
    }

    private void discover(DhcpRepr r, long nowNanos) {
        int ip = table.offer(r.chaddr(), r.requestedIp(), nowNanos);
        if (ip == 0) {
            counters.drop(DhcpDropReason.POOL_EXHAUSTED);
            events.poolExhausted(r.chaddr());
            return;
        }
        DhcpRepr offer = fitted(r, withLeaseTimes(configuration(reply(r, DhcpMessageType.OFFER)))
                .yiaddr(new Ipv4Address(ip)));
        send(offer, destination(r, offer), macFor(r, null));
        counters.offerSent();
    }

    private void request(UdpDatagram d, DhcpRepr r, long nowNanos) {
        Ipv4Address serverId = r.serverIdentifier();
        Ipv4Address requested = r.requestedIp();
        Ipv4Address wanted;
        if (serverId != null) {
            // SELECTING: "Client inserts the address of the selected server in 'server identifier', 'ciaddr' MUST be
            // zero, 'requested IP address' MUST be filled in with the yiaddr value from the chosen DHCPOFFER."
            if (!serverId.equals(config.serverIp())) {
                table.withdrawOffer(r.chaddr());
                counters.drop(DhcpDropReason.OTHER_SERVER);
                return;
            }
            wanted = requested;
        } else if (requested != null) {
            wanted = requested; // INIT-REBOOT: "'requested IP address' option MUST be filled in"
        } else {
            wanted = r.ciaddr(); // RENEWING / REBINDING: "'ciaddr' MUST be filled in with client's IP address"
        }
        if (wanted == null || wanted.bits() == 0) {
            counters.drop(DhcpDropReason.BAD_REQUEST);
            return;
        }
        LeaseTable.Decision decision = table.bind(r.chaddr(), wanted.bits(), hostname(r), nowNanos);
        if (decision.lease() == null) {
            nak(r, wanted, decision.nakReason());
            return;
        }
        DhcpRepr ack = fitted(r, withLeaseTimes(configuration(reply(r, DhcpMessageType.ACK)))
                .ciaddr(r.ciaddr()).yiaddr(wanted));
        acks.send(table.savedGeneration(), ack, destination(r, ack), macFor(r, d));
    }

    /** Sends an ACK for a REQUEST once its lease is durable (called by the {@link AckGate}). */
    private void sendAck(DhcpRepr ack, Ipv4Address to, MacAddress mac) {
        send(ack, to, mac);
        counters.ackSent();
    }

    private void nak(DhcpRepr r, Ipv4Address requested, String reason) {
        DhcpRepr nak = reply(r, DhcpMessageType.NAK).message(reason).build();
        send(nak, Ipv4Address.BROADCAST, MacAddress.BROADCAST);
        counters.nakSent();
        events.nak(r.chaddr(), requested, reason);
    }

    private void decline(DhcpRepr r, long nowNanos) {
        if (r.serverIdentifier() != null && !r.serverIdentifier().equals(config.serverIp())) {
            counters.drop(DhcpDropReason.OTHER_SERVER);
            return;
        }
        // Table 5: for DHCPDECLINE the 'requested IP address' option is MUST.
        Ipv4Address ip = r.requestedIp();
        if (ip == null || !table.decline(r.chaddr(), ip.bits(), nowNanos)) {
            counters.drop(DhcpDropReason.DECLINE_INVALID);
            return;
        }
        counters.declined();
        events.declined(r.chaddr(), ip);
    }

    private void release(DhcpRepr r, long nowNanos) {
        // "The client ... sends a DHCPRELEASE message to the server ... The client identifies the lease to be released
        // with its 'client identifier', or 'chaddr' and network address in the DHCPRELEASE message." (ciaddr)
        if (!table.release(r.chaddr(), r.ciaddr().bits(), nowNanos)) {
            counters.drop(DhcpDropReason.RELEASE_NOT_BOUND);
            return;
        }
        counters.released();
    }

    private void inform(UdpDatagram d, DhcpRepr r) {
        Ipv4Address to = r.ciaddr().bits() != 0 ? r.ciaddr() : d.srcIp();
        if (to.bits() == 0 || !config.subnet().contains(to)) {
            counters.drop(DhcpDropReason.INFORM_NO_ADDRESS);
            return;
        }
        DhcpRepr ack = fitted(r, configuration(reply(r, DhcpMessageType.ACK)).ciaddr(r.ciaddr()));
        send(ack, to, d.srcMac());
        counters.informAnswered();
    }

    /**
     * The fields every reply copies from the request (RFC 2131 Table 3, and the Client-identifier as RFC 6842 section 3
     * requires) plus type and Server Identifier.
     */
    private DhcpRepr.Builder reply(DhcpRepr r, DhcpMessageType type) {
        return DhcpRepr.builder().op(DhcpRepr.Op.BOOTREPLY).xid(r.xid()).broadcast(r.broadcast())
                .giaddr(r.giaddr()).chaddr(r.chaddr()).messageType(type).serverIdentifier(config.serverIp())
                .clientId(r.clientId());
    }

    private DhcpRepr.Builder configuration(DhcpRepr.Builder b) {
        return b.subnetMask(config.subnet().netmask()).routers(List.of(config.router()))
                .dnsServers(config.dnsServers()).interfaceMtu(config.mtu() == 0 ? null : config.mtu())
                .broadcastAddress(config.subnet().broadcast()).domainName(config.domainName())
                .domainSearch(config.searchDomains());
    }

    /** Builds a reply with options, within the size the client of {@code request} takes ({@link ReplySize}). */
    private DhcpRepr fitted(DhcpRepr request, DhcpRepr.Builder reply) {
        ReplySize.Fitted f = ReplySize.fit(reply.build(), ReplySize.limit(request, config.mtu()));
        if (f.dropped() > 0) {
            counters.optionsLeftOut(f.dropped());
        }
        if (f.stillTooLong()) {
            counters.oversizedReply();
        }
        return f.reply();
    }

    private DhcpRepr.Builder withLeaseTimes(DhcpRepr.Builder b) {
        return b.leaseTime(config.leaseSeconds()).renewalTime(config.renewalSeconds())
                .rebindingTime(config.rebindingSeconds());
    }

    /** RFC 2131 4.1 for OFFER and ACK (giaddr is always zero here). */
    private static Ipv4Address destination(DhcpRepr request, DhcpRepr reply) {
        if (request.ciaddr().bits() != 0) {
            return request.ciaddr();
        }
        return request.broadcast() ? Ipv4Address.BROADCAST : reply.yiaddr();
    }

    /** Broadcast when the client asked for it; otherwise its hardware address (the frame's source for ciaddr). */
    private static MacAddress macFor(DhcpRepr request, UdpDatagram d) {
        if (request.ciaddr().bits() != 0) {
            return d != null ? d.srcMac() : request.chaddr();
        }
        return request.broadcast() ? MacAddress.BROADCAST : request.chaddr();
    }

    private void send(DhcpRepr reply, Ipv4Address to, MacAddress mac) {
        out.sendUdp(mac, config.serverIp(), SERVER_PORT, to, CLIENT_PORT, reply.encodedLength(), reply::emit);
    }

    /** Option 12 without the trailing NULs some clients include; null when absent or empty. */
    private static String hostname(DhcpRepr r) {
        String h = r.hostname();
        if (h == null) {
            return null;
        }
        int end = h.length();
        while (end > 0 && h.charAt(end - 1) == 0) {
            end--;
        }
        return end == 0 ? null : h.substring(0, end);
    }

    @Override
    public String toString() {
        return "DhcpServer{" + config.serverIp() + ", pool " + config.poolStart() + "-" + config.poolEnd() + ", "
                + table + "}";
    }
}
