package io.userv2.switchd.transport;

import io.netty.buffer.ByteBuf;
import io.userv2.switchd.loop.EventLoop;
import io.userv2.switchd.port.Framing;
import io.userv2.switchd.port.LinkPort;
import io.userv2.switchd.port.LinkPorts;
import io.userv2.switchd.port.Port;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.newsclub.net.unix.AFSocketType;
import org.newsclub.net.unix.AFUNIXDatagramChannel;
import org.newsclub.net.unix.AFUNIXSelectorProvider;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/**
 * {@code --listen-vfkit unixgram://PATH}: a SOCK_DGRAM unix socket we bind, as vfkit and krunkit expect. The client
 * binds a socket path of its own and sends to ours; every datagram is one bare Ethernet frame, and replies go back to
 * the sender's address with sendto. Each distinct sender address is its own switch port, so several VMs may share
 * one socket; a sender that did not bind an address cannot be answered and its datagrams are dropped and counted. The
 * old vfkit handshake, a 4-byte datagram "VFKT" sent first, creates the port and is not switched.
 *
 * <p>A peer is removed when a send to it fails (its socket is closed or its file removed: "connection refused" or
 * "no such file"); a peer that vanishes and is never sent to again lingers as an idle port until shutdown.
 *
 * <p>Each peer is a {@link LinkPort} like every other transport's (same egress staging, counters and cleanup),
 * on a {@link SendToLink}. What it cannot share is ingress: one socket brings every peer's datagrams, so this
 * transport receives them itself (one reused buffer, up to {@link #READ_BUDGET} per readiness, then the next loop
 * iteration) and offers each to its sender's port ({@link LinkPort#offer}); a datagram beyond that port's budget
 * is dropped and counted ({@code OVER_BUDGET}), since leaving it unread would stall the other peers too.
 *
 * <p>Threads: the loop's {@link AfPoller} waits for readability; receiving, switching and every sendto happen on
 * the event loop. When the kernel refuses a sendto for lack of buffer space (EAGAIN), the unsent frames stay queued
 * and are retried after {@link #RETRY_NANOS}, backing off to {@link #MAX_RETRY_NANOS} (poll(2) cannot say when an
 * unconnected socket may send to one particular peer again).
 *
 * <p>Linux caps the datagrams queued towards one unconnected receiver at {@code net.unix.max_dgram_qlen} (10 by
 * default), and our socket stays unconnected to serve several peers: a client sending in bursts may see EAGAIN from
 * its own sends. Our sends to a client that connected its socket to ours are not subject to that cap.
 */
public final class UnixgramTransport {
    private static final System.Logger LOG = System.getLogger(UnixgramTransport.class.getName());
    /** Datagrams received per readiness before the other ports get their turn. */
    private static final int READ_BUDGET = 64;
    /** First wait before retrying sends refused for lack of buffer space; doubles while they stay refused. */
    static final long RETRY_NANOS = 250_000L;
    /** Longest wait between retries. */
    static final long MAX_RETRY_NANOS = 16_000_000L;
    /** Most distinct peers at once; datagrams from further addresses are dropped. */
    static final int MAX_PEERS = 256;
    private static final int MAGIC = 0x56464b54; // "VFKT"

    private final Path path;
    private final AFUNIXDatagramChannel channel;
    private final UnixSocketFile socketFile;
    private final AfPoller poller;
    private final LinkPorts maker;
    private final EventLoop loop;
    private final Map<AFUNIXSocketAddress, LinkPort> peers = new HashMap<>();
    private final Runnable readMore = this::readSome;
    private AfPoller.Registration registration;
    private ByteBuf ingress;
    private boolean readDeferred;
    private boolean closed;
    private int connected;
    private long dropsUnaddressed;
    private long dropsTooManyPeers;

    private UnixgramTransport(Path path, AFUNIXDatagramChannel channel, UnixSocketFile socketFile, AfPoller poller,
            LinkPorts maker) {
        this.path = path;
        this.channel = channel;
        this.socketFile = socketFile;
        this.poller = poller;
        this.maker = maker;
        this.loop = maker.loop();
    }

    /**
     * Binds a SOCK_DGRAM socket at {@code path} (replacing a stale socket file, refusing a live one) and starts
     * serving it. Call before the loop runs or on the loop thread. The transport shuts down with the loop (it adds
     * itself to {@link EventLoop#onShutdown}); {@link #shutdown()} ends it earlier.
     *
     * @param maker makes each peer's port (datagrams longer than its maximum frame are dropped and counted)
     */
    public static UnixgramTransport open(Path path, LinkPorts maker) throws IOException {
        UnixSocketFile file = SocketFiles.prepare(path, AFSocketType.SOCK_DGRAM);
        AFUNIXDatagramChannel ch = AFUNIXSelectorProvider.provider().openDatagramChannel(AFSocketType.SOCK_DGRAM);
        AfPoller poller = null;
        try {
            ch.setDeleteOnClose(false); // UnixSocketFile removes it, if it is still ours
            ch.bind(AFUNIXSocketAddress.of(path));
            file.bound();
            ch.configureBlocking(false);
            PolledLink.setBuffers(ch);
            poller = AfPoller.of(maker.loop());
        } catch (IOException | RuntimeException e) {
            file.closeAndRemove(ch);
            throw e;
        }
        UnixgramTransport t = new UnixgramTransport(path, ch, file, poller, maker);
        t.registration = poller.register(ch, SelectionKey.OP_READ, t::ready);
        maker.loop().onShutdown(t::shutdown);
        LOG.log(System.Logger.Level.INFO, "listening on unixgram://" + path);
        return t;
    }

    /** The socket path. */
    public Path path() {
        return path;
    }

    /** The ports of the peers currently known (loop thread only). */
    public List<Port> peers() {
        return new ArrayList<>(peers.values());
    }

    /** Datagrams dropped because their sender had no address to answer to. */
    public long dropsUnaddressed() {
        return dropsUnaddressed;
    }

    /** Datagrams dropped because {@link #MAX_PEERS} peers were already known. */
    public long dropsTooManyPeers() {
        return dropsTooManyPeers;
    }

    private void ready(int readyOps) {
        if (closed) {
            return;
        }
        if ((readyOps & AfPoller.HANGUP) != 0 || !channel.isOpen()) {
            LOG.log(System.Logger.Level.ERROR, "unixgram://" + path + ": socket failed; no more vfkit traffic");
            shutdown();
            return;
        }
        if (!readDeferred) {
            readSome();
        }
    }

    private void readSome() {
        readDeferred = false;
        if (closed) {
            return;
        }
        int capacity = maker.maxFrame() + 1;
        ByteBuf in = ingress;
        if (in == null) {
            in = ingress = maker.alloc().directBuffer(capacity, capacity);
        }
        for (int i = 0; i < READ_BUDGET; i++) {
            ByteBuffer nio = in.internalNioBuffer(0, capacity);
            int start = nio.position();
            AFUNIXSocketAddress from;
            try {
                from = channel.receive(nio);
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "unixgram://" + path + ": receive failed: " + e.getMessage());
                registration.arm(SelectionKey.OP_READ);
                return;
            }
            int n = nio.position() - start;
            if (from == null) {
                if (n == 0) {
                    registration.arm(SelectionKey.OP_READ); // drained (or an empty datagram: ignored)
                    return;
                }
                dropsUnaddressed++; // junixsocket reports an unbound sender as no address
                continue;
            }
            LinkPort peer = peers.get(from);
            if (peer == null) {
                peer = newPeer(from);
                if (peer == null) {
                    continue;
                }
            }
            if (n == 4 && in.getInt(0) == MAGIC) {
                continue; // the old vfkit handshake
            }
            long now = loop.now(); // the iteration's time: no clock read per datagram
            if (!peer.offer(in, 0, n, now)) {
                // Every peer shares this socket: leaving the datagram unread would stall the others too.
                peer.dropOverBudget(now);
            }
        }
        readDeferred = true;
        loop.nextIteration(readMore);
    }

    private LinkPort newPeer(AFUNIXSocketAddress from) {
        byte[] raw = from.getPathAsBytes();
        if (raw.length == 0 || raw.length == 1 && raw[0] == 0) {
            dropsUnaddressed++;
            return null;
        }
        if (peers.size() >= MAX_PEERS) {
            if (dropsTooManyPeers++ == 0) {
                LOG.log(System.Logger.Level.WARNING, "unixgram://" + path + ": more than " + MAX_PEERS
                        + " peers; ignoring " + from);
            }
            return null;
        }
        LinkPort p = maker.make("unixgram:" + path + "#" + (++connected), new SendToLink(channel, from, poller),
                Framing.ONE_PER_PACKET, closed -> peers.remove(from));
        peers.put(from, p);
        try {
            p.start(); // watches nothing: this transport receives for every peer
        } catch (IOException e) {
            return null; // not reached: a send-only link has nothing to fail
        }
        LOG.log(System.Logger.Level.INFO, p.name() + " connected from " + from);
        return p;
    }

    /** Closes every peer port and the socket and removes the socket file; loop thread (idempotent). */
    public void shutdown() {
        if (closed) {
            return;
        }
        closed = true;
        for (LinkPort p : List.copyOf(peers.values())) {
            p.shutdown();
        }
        if (registration != null) {
            registration.close();
        }
        socketFile.closeAndRemove(channel);
        if (ingress != null) {
            ingress.release();
            ingress = null;
        }
    }

    @Override
    public String toString() {
        return "unixgram://" + path;
    }
}
