package io.userv2.stack.dhcp6;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.util.NetUtil;
import io.userv2.stack.dhcp.HeldReplies;
import io.userv2.stack.dhcp.TimeBase;
import io.userv2.stack.dhcp6.Dhcp6LeaseTable.IaKey;
import io.userv2.stack.dhcp6.Dhcp6LeaseTable.Outcome;
import io.userv2.stack.wire.MacAddress;
import io.userv2.stack.wire.ParseResult;
import java.net.Inet6Address;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The DHCPv6 server of the virtual LAN (RFC 8415, with the DNS options of RFC 3646), sans-IO: the gateway hands it
 * every UDP datagram for port 547 sent to its link-local address or to All_DHCP_Relay_Agents_and_Servers
 * ({@code ff02::1:2}) through {@link #datagram}, and it answers through a {@link Dhcp6Sender} to the client's source
 * address, port 546, at the frame's source MAC. The server identifies itself with {@link Dhcp6Config#serverDuid()}
 * (DUID-LL of the gateway's MAC: the same after every restart).
 *
 * <p>Messages (RFC 8415 section 18.3):
 * <ul>
 *   <li>Information-request: Reply with DNS servers, domain search list and (if configured) Information Refresh Time
 *       (stateless DHCPv6, always on).</li>
 *   <li>Solicit: Advertise with one address per IA_NA (held for the client for the offer time); with Rapid Commit
 *       (and {@link Dhcp6Config#rapidCommit()}) a Reply that binds them at once ("the server responds to the Solicit
 *       with a Reply message", 18.3.1). Without stateful DHCPv6, or with nothing to give, each IA_NA carries
 *       NoAddrsAvail and, when no IA_NA got an address, so does the message (the RFC 3315 form older clients
 *       expect).</li>
 *   <li>Request: Reply binding one address per IA_NA; an IA naming an address outside the /64 gets NotOnLink; an IA
 *       nothing can be given to gets NoAddrsAvail.</li>
 *   <li>Renew, Rebind: Reply extending the binding. With no binding, an address of the client's that is in the pool
 *       and free becomes its binding (18.3.4 allows it), so a VM keeps its address across a restart even without the
 *       lease file; else addresses outside the /64 come back with lifetimes 0 and the IA with NoBinding.</li>
 *   <li>Confirm: Reply Success when every address is in the /64, NotOnLink otherwise; nothing when stateful DHCPv6
 *       is off or no address was named ("the server MUST NOT send a reply to the client", 18.3.3).</li>
 *   <li>Release: the lease ends, the association stays (the client gets the same address back). Decline: the address
 *       rests for {@link Dhcp6Config#declineHoldSeconds()} and the IA gets another one next time. Both Reply Success,
 *       with NoBinding in every IA the client has no binding for (18.3.7, 18.3.8).</li>
 *   <li>IA_PD is answered NoPrefixAvail (Solicit, Request) or NoBinding (Renew, Rebind, Release, Decline); IA_TA is
 *       ignored.</li>
 * </ul>
 * Every Advertise and Reply to Solicit, Request, Renew, Rebind and Information-request carries the DNS servers, the
 * domain list and SOL_MAX_RT when configured, whatever the Option Request option says (RFC 3315 17.2.2, kept by RFC
 * 8415: "The server MAY return additional options to the client if it has been configured to do so").
 *
 * <p>Validation (RFC 8415 section 16) drops and counts: Solicit, Confirm and Rebind with a Server Identifier or
 * without a Client Identifier; Request, Renew, Release and Decline without a Client Identifier, or without this
 * server's identifier (a Request naming another server also withdraws this server's offers to that client);
 * Information-request naming another server or carrying an IA; Solicit, Confirm, Rebind and Information-request sent
 * to a unicast address (16: "A server MUST discard any Solicit, Confirm, Rebind, or Information-request messages it
 * receives with a Layer 3 unicast destination address"). Relay messages are dropped: the LAN is one link.
 *
 * <p>Deliberate deviation: a Request, Renew, Release or Decline sent by unicast to the gateway is served, although
 * this server never sends the Server Unicast option (RFC 8415 18.3.2 and following would have it answer UseMulticast).
 * busybox udhcpc6 renews with a Request, and releases, unicast from its leased address to the server that answered it;
 * on a one-link virtual LAN the unicast path and the multicast path are the same wire.
 *
 * <p>Caps, allocation and persistence: see {@link Dhcp6LeaseTable}. A Reply that reports a change (a binding,
 * renewal, release or decline) waits until the {@link Dhcp6LeaseStore} has that snapshot ({@link HeldReplies}, as
 * the IPv4 server's DHCPACKs do; a failed write releases it anyway and is reported once per run of failures); at most
 * {@link #MAX_HELD_REPLIES} wait. Malformed input is dropped and counted ({@link Dhcp6Counters}), never thrown.
 * Time comes in as monotonic nanoseconds; call {@link #expire} every few seconds. Not thread-safe: one server is owned
 * by the gateway's event-loop thread.
 */
public final class Dhcp6Server {
    /** The server (and relay agent) port, RFC 8415 section 7.2. */
    public static final int SERVER_PORT = 547;
    /** The client port, RFC 8415 section 7.2. */
    public static final int CLIENT_PORT = 546;
    /** All_DHCP_Relay_Agents_and_Servers (RFC 8415 section 7.1): the group the gateway must join and deliver. */
    public static final Inet6Address ALL_DHCP_RELAY_AGENTS_AND_SERVERS =
            Dhcp6Repr.address(NetUtil.createByteArrayFromIpAddressString("ff02::1:2"));
    /**
     * Most IAs of one kind answered per message, and most addresses read per IA: the rest are ignored, so that a reply
     * stays far below the 64 KiB a UDP datagram can carry whatever a client packs into its message.
     */
    public static final int MAX_IAS = 16;
    /** Most Replies held at once while the store writes. */
    public static final int MAX_HELD_REPLIES = 256;

    private final Dhcp6Config config;
    private final Dhcp6Sender out;
    private final Dhcp6Counters counters = new Dhcp6Counters();
    private final Dhcp6LeaseTable table;
    private final HeldReplies<Held> gate;
    private Dhcp6EventListener events = new Dhcp6EventListener() { };

    /** A reply waiting for the store, and where it goes. */
    private record Held(Dhcp6Repr reply, MacAddress mac, Inet6Address to) {
    }

    /**
     * A server for {@code config} answering through {@code out}, loading its leases from {@code store} now and saving
     * to it on every change.
     *
     * @param nowNanos   the engine's monotonic time now
     * @param wallMillis the wall-clock time now (epoch ms), read together with {@code nowNanos}
     */
    public Dhcp6Server(Dhcp6Config config, Dhcp6Sender out, Dhcp6LeaseStore store, long nowNanos, long wallMillis) {
        this.config = Objects.requireNonNull(config, "config");
        this.out = Objects.requireNonNull(out, "out");
        this.gate = new HeldReplies<>(new HeldReplies.Handler<>() {
            @Override
            public void send(Held h) {
                sendNow(h.reply(), h.mac(), h.to());
            }

            @Override
            public void dropped(Held h) {
                counters.drop(Dhcp6DropReason.REPLY_BACKLOG);
            }

            @Override
            public void storeFailed(RuntimeException error, boolean firstOfRun) {
                counters.storeFailed();
                if (firstOfRun) {
                    events.storeFailed(error);
                }
            }
        }, MAX_HELD_REPLIES);
        this.table = new Dhcp6LeaseTable(config, TimeBase.of(nowNanos, wallMillis),
                Objects.requireNonNull(store, "store"), gate);
        List<Dhcp6Lease> loaded = store.load();
        table.restore(loaded == null ? List.of() : loaded, nowNanos);
    }

    /** Installs the lease listener and replays every lease active at {@code nowNanos} to it. */
    public void setLeaseListener(Dhcp6LeaseListener listener, long nowNanos) {
        table.setLeaseListener(listener, nowNanos);
    }

    /** Installs the listener for events worth logging (replacing any previous one). */
    public void setEventListener(Dhcp6EventListener listener) {
        this.events = Objects.requireNonNull(listener, "listener");
        table.setEventListener(listener);
    }

    /** The configuration. */
    public Dhcp6Config config() {
        return config;
    }

    /** The counters (live). */
    public Dhcp6Counters counters() {
        return counters;
    }

    /** Replies waiting for the store. */
    public int heldReplies() {
        return gate.held();
    }

    /** Every lease bound at least once, ordered by address; filter with {@link Dhcp6Lease#isActiveAt}. */
    public List<Dhcp6Lease> leases() {
        return table.leases();
    }

    /** The lease of IA_NA {@code iaid} of the client {@code duid}, or null. */
    public Dhcp6Lease lease(Duid duid, int iaid) {
        return table.lease(new IaKey(duid, iaid));
    }

    /** Associations (leases and held offers) counted against switch port {@code port}. */
    public int ownedBy(int port) {
        return table.owned(port);
    }

    /** Ends leases whose time is up (the listener hears {@link Dhcp6LeaseListener#onExpire}), lapses offers. */
    public void expire(long nowNanos) {
        table.expire(nowNanos);
    }

    /** Switch port {@code port} is gone: its offers are dropped and its leases no longer count against it. */
    public void portClosed(int port) {
        table.portClosed(port);
    }

    /** Handles one client message (the payload is borrowed for this call only, see {@link Dhcp6Datagram}). */
    public void datagram(Dhcp6Datagram d, long nowNanos) {
        counters.receivedOne();
        ByteBuf p = d.payload();
        if (p.readableBytes() < Dhcp6Packet.MIN_LENGTH) {
            counters.drop(Dhcp6DropReason.MALFORMED);
            return;
        }
        Dhcp6MessageType type = Dhcp6MessageType.of(p.getUnsignedByte(p.readerIndex()));
        if (type.isRelay()) {
            counters.drop(Dhcp6DropReason.RELAYED);
            return;
        }
        if (!type.isClientToServer()) {
            counters.drop(Dhcp6DropReason.UNEXPECTED_TYPE);
            return;
        }
        Dhcp6Packet packet = Dhcp6Packet.checked(p).orNull();
        ParseResult<Dhcp6Repr> parsed = packet == null ? null : Dhcp6Repr.parse(packet);
        if (parsed == null || !(parsed instanceof ParseResult.Ok<Dhcp6Repr> ok)) {
            counters.drop(Dhcp6DropReason.MALFORMED);
            return;
        }
        if (d.src().isAnyLocalAddress() || d.src().isMulticastAddress()) {
            counters.drop(Dhcp6DropReason.BAD_SOURCE);
            return;
        }
        Dhcp6Repr r = ok.value();
        switch (type.value()) {
            case 1 -> solicit(d, r, nowNanos);
            case 3 -> request(d, r, nowNanos);
            case 4 -> confirm(d, r);
            case 5, 6 -> renew(d, r, nowNanos);
            case 8 -> release(d, r, nowNanos);
            case 9 -> decline(d, r, nowNanos);
            default -> information(d, r);
        }
    }

    private void solicit(Dhcp6Datagram d, Dhcp6Repr r, long nowNanos) {
        // 16.2: "Servers MUST discard any Solicit messages that do not include a Client Identifier option or that
        // do include a Server Identifier option."
        if (!clientIdentified(r) || !withoutServerId(r) || !multicast(d)) {
            return;
        }
        boolean commit = r.rapidCommit() && config.rapidCommit() && config.stateful();
        long before = table.savedGeneration();
        List<IaNa> ias = assign(d, r, commit, nowNanos);
        Dhcp6Repr.Builder b = reply(r, commit ? Dhcp6MessageType.REPLY : Dhcp6MessageType.ADVERTISE).iaNas(ias);
        noPrefixes(b, r, Dhcp6Status.NO_PREFIX_AVAIL);
        if (commit) {
            b.rapidCommit(true); // 18.3.1: "includes a Rapid Commit option in the Reply message"
        } else {
            if (config.preference() != 0) {
                b.preference(config.preference());
            }
            if (!ias.isEmpty() && ias.stream().allMatch(ia -> ia.addresses().isEmpty())) {
                b.status(Dhcp6Status.of(Dhcp6Status.NO_ADDRS_AVAIL, noAddressText()));
            }
        }
        send(before, configuration(b).build(), d);
    }

    private void request(Dhcp6Datagram d, Dhcp6Repr r, long nowNanos) {
        if (!clientIdentified(r) || !forUs(r, true)) {
            return;
        }
        long before = table.savedGeneration();
        Dhcp6Repr.Builder b = reply(r, Dhcp6MessageType.REPLY).iaNas(assign(d, r, true, nowNanos));
        noPrefixes(b, r, Dhcp6Status.NO_PREFIX_AVAIL);
        send(before, configuration(b).build(), d);
    }

    /** One IA_NA answer per distinct IAID: an address advertised ({@code !commit}) or bound, or a status. */
    private List<IaNa> assign(Dhcp6Datagram d, Dhcp6Repr r, boolean commit, long nowNanos) {
        List<IaNa> answers = new ArrayList<>();
        for (IaNa ia : distinct(r.iaNas())) {
            if (!config.stateful()) {
                answers.add(IaNa.failed(ia.iaid(), Dhcp6Status.of(Dhcp6Status.NO_ADDRS_AVAIL, noAddressText())));
                continue;
            }
            List<Inet6Address> hints = addresses(ia);
            if (commit && hints.stream().anyMatch(a -> !table.onLink(a))) {
                // 18.3.2: "If the server finds that the prefix on one or more IP addresses in any IA in the message
                // from the client is not appropriate for the link to which the client is connected, the server MUST
                // return the IA to the client with a Status Code option with the value NotOnLink."
                answers.add(IaNa.failed(ia.iaid(), Dhcp6Status.of(Dhcp6Status.NOT_ON_LINK, "address not on this link")));
                continue;
            }
            IaKey key = new IaKey(r.clientId(), ia.iaid());
            Outcome o = commit ? table.request(key, d.srcMac(), d.ingress(), hints, nowNanos)
                    : table.advertise(key, d.srcMac(), d.ingress(), hints, nowNanos);
            if (o.lease() == null) {
                answers.add(IaNa.failed(ia.iaid(), Dhcp6Status.of(Dhcp6Status.NO_ADDRS_AVAIL, refused(o, r, d))));
            } else {
                answers.add(granted(ia.iaid(), o.lease().address(), List.of()));
            }
        }
        return answers;
    }

    private String refused(Outcome o, Dhcp6Repr r, Dhcp6Datagram d) {
        if (o.refusal() == Dhcp6LeaseTable.Refusal.PORT_CAP) {
            counters.capRefused();
            events.portCapReached(d.ingress(), r.clientId());
            return "too many addresses for this port";
        }
        events.poolExhausted(r.clientId());
        return "no addresses left";
    }

    private void renew(Dhcp6Datagram d, Dhcp6Repr r, long nowNanos) {
        boolean rebind = r.msgType().equals(Dhcp6MessageType.REBIND);
        // 16.7: "Servers MUST discard any received Rebind messages that do not include a Client Identifier option or
        // that do include a Server Identifier option." (Renew: like Request.)
        if (!clientIdentified(r) || (rebind ? !withoutServerId(r) || !multicast(d) : !forUs(r, false))) {
            return;
        }
        long before = table.savedGeneration();
        List<IaNa> answers = new ArrayList<>();
        for (IaNa ia : distinct(r.iaNas())) {
            List<Inet6Address> held = addresses(ia);
            Dhcp6Lease lease = config.stateful()
                    ? table.renew(new IaKey(r.clientId(), ia.iaid()), d.srcMac(), d.ingress(),
                            held.stream().filter(table::onLink).toList(), nowNanos)
                    : null;
            List<Inet6Address> others = held.stream().filter(a -> lease == null || !a.equals(lease.address()))
                    .toList();
            if (lease != null) {
                // 18.3.4: "If the server finds that any of the addresses in the IA are not appropriate for the link
                // to which the client is attached, the server returns the address to the client with lifetimes of 0."
                answers.add(granted(ia.iaid(), lease.address(), others));
            } else if (config.stateful() && others.stream().anyMatch(a -> !table.onLink(a))) {
                answers.add(IaNa.of(ia.iaid(), 0, 0, zeroLifetimes(others)));
            } else {
                answers.add(IaNa.failed(ia.iaid(), Dhcp6Status.of(Dhcp6Status.NO_BINDING, "no binding for this IA")));
            }
        }
        Dhcp6Repr.Builder b = reply(r, Dhcp6MessageType.REPLY).iaNas(answers);
        noPrefixes(b, r, Dhcp6Status.NO_BINDING);
        send(before, configuration(b).build(), d);
    }

    private void release(Dhcp6Datagram d, Dhcp6Repr r, long nowNanos) {
        releaseOrDecline(d, r, nowNanos, false);
    }

    private void decline(Dhcp6Datagram d, Dhcp6Repr r, long nowNanos) {
        releaseOrDecline(d, r, nowNanos, true);
    }

    /**
     * 18.3.7 / 18.3.8: addresses of the client's bindings are released or declined; "For each IA in the ... message
     * for which the server has no binding information, the server adds an IA option using the IAID from the ...
     * message and includes a Status Code option with the value NoBinding in the IA option"; the message gets Success.
     */
    private void releaseOrDecline(Dhcp6Datagram d, Dhcp6Repr r, long nowNanos, boolean decline) {
        if (!clientIdentified(r) || !forUs(r, false)) {
            return;
        }
        long before = table.savedGeneration();
        List<IaNa> noBinding = new ArrayList<>();
        for (IaNa ia : distinct(r.iaNas())) {
            IaKey key = new IaKey(r.clientId(), ia.iaid());
            if (!config.stateful() || !table.hasBinding(key)) {
                noBinding.add(IaNa.failed(ia.iaid(), Dhcp6Status.of(Dhcp6Status.NO_BINDING, "no binding for this IA")));
                continue;
            }
            for (Inet6Address a : addresses(ia)) {
                if (decline) {
                    if (table.decline(key, a, nowNanos)) {
                        counters.declined();
                        events.declined(r.clientId(), a);
                    }
                } else if (table.release(key, a, nowNanos)) {
                    counters.released();
                }
            }
        }
        Dhcp6Repr.Builder b = reply(r, Dhcp6MessageType.REPLY).iaNas(noBinding)
                .status(Dhcp6Status.of(Dhcp6Status.SUCCESS, decline ? "declined" : "released"));
        noPrefixes(b, r, Dhcp6Status.NO_BINDING);
        send(before, b.build(), d);
    }

    private void confirm(Dhcp6Datagram d, Dhcp6Repr r) {
        // 16.5: "Servers MUST discard any received Confirm messages that do not include a Client Identifier option or
        // that do include a Server Identifier option."
        if (!clientIdentified(r) || !withoutServerId(r) || !multicast(d)) {
            return;
        }
        List<Inet6Address> all = new ArrayList<>();
        distinct(r.iaNas()).forEach(ia -> all.addAll(addresses(ia)));
        // 18.3.3: "If the server is unable to perform this test (for example, the server does not have information
        // about prefixes on the link to which the client is connected), or there were no addresses in any of the IAs
        // sent by the client, the server MUST NOT send a reply to the client."
        if (!config.stateful() || all.isEmpty()) {
            counters.drop(Dhcp6DropReason.CONFIRM_UNDECIDABLE);
            return;
        }
        boolean onLink = all.stream().allMatch(table::onLink);
        Dhcp6Status status = onLink ? Dhcp6Status.of(Dhcp6Status.SUCCESS, "all addresses on link")
                : Dhcp6Status.of(Dhcp6Status.NOT_ON_LINK, "address not on this link");
        send(0, reply(r, Dhcp6MessageType.REPLY).status(status).build(), d);
    }

    private void information(Dhcp6Datagram d, Dhcp6Repr r) {
        // 16.12: discard if "The message includes a Server Identifier option, and the DUID in the option does not
        // match the server's DUID" or "The message includes an IA option."
        if (!multicast(d)) {
            return;
        }
        if (r.serverId() != null && !r.serverId().equals(config.serverDuid())) {
            counters.drop(Dhcp6DropReason.NOT_FOR_US);
            return;
        }
        if (!r.iaNas().isEmpty() || !r.iaPds().isEmpty()) {
            counters.drop(Dhcp6DropReason.IA_IN_INFORMATION_REQUEST);
            return;
        }
        Dhcp6Repr.Builder b = configuration(reply(r, Dhcp6MessageType.REPLY));
        if (config.informationRefreshSeconds() != 0) {
            b.informationRefreshTime(config.informationRefreshSeconds());
        }
        counters.informationAnswered();
        send(0, b.build(), d);
    }

    private boolean clientIdentified(Dhcp6Repr r) {
        if (r.clientId() == null) {
            counters.drop(Dhcp6DropReason.NO_CLIENT_ID);
            return false;
        }
        return true;
    }

    private boolean withoutServerId(Dhcp6Repr r) {
        if (r.serverId() != null) {
            counters.drop(Dhcp6DropReason.SERVER_ID_NOT_ALLOWED);
            return false;
        }
        return true;
    }

    /**
     * 16.4 (and 16.6, 16.8, 16.9): "Servers MUST discard any received Request message that meets any of the following
     * conditions: the message does not include a Server Identifier option ...; the contents of the Server Identifier
     * option do not match the server's DUID". A Request for another server withdraws this server's offers.
     */
    private boolean forUs(Dhcp6Repr r, boolean withdraw) {
        if (r.serverId() == null || !r.serverId().equals(config.serverDuid())) {
            if (withdraw && r.serverId() != null) {
                table.withdrawOffers(r.clientId());
            }
            counters.drop(Dhcp6DropReason.NOT_FOR_US);
            return false;
        }
        return true;
    }

    private boolean multicast(Dhcp6Datagram d) {
        if (!d.multicast()) {
            counters.drop(Dhcp6DropReason.UNICAST);
            return false;
        }
        return true;
    }

    /** msg-type, the client's transaction-id and Client Identifier, this server's identifier. */
    private Dhcp6Repr.Builder reply(Dhcp6Repr r, Dhcp6MessageType type) {
        return Dhcp6Repr.builder().msgType(type).transactionId(r.transactionId()).clientId(r.clientId())
                .serverId(config.serverDuid());
    }

    private Dhcp6Repr.Builder configuration(Dhcp6Repr.Builder b) {
        return b.dnsServers(config.dnsServers().isEmpty() ? null : config.dnsServers())
                .domainList(config.searchDomains().isEmpty() ? null : config.searchDomains())
                .solMaxRt(config.solMaxRtSeconds() == 0 ? null : config.solMaxRtSeconds());
    }

    /** Every IA_PD of the request back with {@code status} and no prefixes. */
    private static void noPrefixes(Dhcp6Repr.Builder b, Dhcp6Repr r, int status) {
        Set<Integer> seen = new HashSet<>();
        for (IaPd pd : r.iaPds()) {
            if (seen.size() < MAX_IAS && seen.add(pd.iaid())) {
                b.addIaPd(new IaPd(pd.iaid(), 0, 0, Dhcp6Status.of(status, status == Dhcp6Status.NO_BINDING
                        ? "no binding for this IA" : "no prefixes delegated here")));
            }
        }
    }

    private IaNa granted(int iaid, Inet6Address address, List<Inet6Address> zeroed) {
        List<IaAddress> list = new ArrayList<>();
        list.add(IaAddress.of(address, config.preferredSeconds(), config.leaseSeconds()));
        list.addAll(zeroLifetimes(zeroed));
        return IaNa.of(iaid, config.t1Seconds(), config.t2Seconds(), list);
    }

    private static List<IaAddress> zeroLifetimes(List<Inet6Address> addresses) {
        return addresses.stream().map(a -> IaAddress.of(a, 0, 0)).toList();
    }

    /** The addresses of {@code ia}, without repeats, at most {@link #MAX_IAS}. */
    private static List<Inet6Address> addresses(IaNa ia) {
        return ia.addresses().stream().map(IaAddress::address).distinct().limit(MAX_IAS).toList();
    }

    /** The first IA_NA of each IAID (a repeated IAID is answered once), at most {@link #MAX_IAS}. */
    private static List<IaNa> distinct(List<IaNa> ias) {
        Set<Integer> seen = new HashSet<>();
        List<IaNa> out = new ArrayList<>();
        for (IaNa ia : ias) {
            if (out.size() < MAX_IAS && seen.add(ia.iaid())) {
                out.add(ia);
            }
        }
        return out;
    }

    private String noAddressText() {
        return config.stateful() ? "no addresses left" : "no addresses here: stateless DHCPv6 only";
    }

    /** Hands {@code reply} to the gate: held when this message's handling saved a snapshot, sent at once otherwise. */
    private void send(long generationBefore, Dhcp6Repr reply, Dhcp6Datagram d) {
        long now = table.savedGeneration();
        gate.send(now > generationBefore ? now : 0, new Held(reply, d.srcMac(), d.src()));
    }

    private void sendNow(Dhcp6Repr reply, MacAddress mac, Inet6Address to) {
        ByteBuf buf = Unpooled.buffer(reply.encodedLength());
        try {
            buf.writerIndex(reply.emit(buf, 0));
            out.send(mac, to, CLIENT_PORT, buf);
        } finally {
            buf.release();
        }
        if (reply.msgType().equals(Dhcp6MessageType.ADVERTISE)) {
            counters.advertiseSent();
        } else {
            counters.replySent();
        }
    }

    @Override
    public String toString() {
        return "Dhcp6Server{" + config.serverDuid() + (config.stateful() ? ", pool "
                + Dhcp6Repr.format(config.prefix()) + "/64" : ", stateless") + ", " + table + "}";
    }
}
