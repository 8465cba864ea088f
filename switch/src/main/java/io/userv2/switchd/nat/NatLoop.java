package io.userv2.switchd.nat;

import io.netty.buffer.ByteBufAllocator;
import io.userv2.dns.DnsServer;
import io.userv2.stack.gateway.Gateway;
import io.userv2.stack.gateway.GatewayIpv6;
import io.userv2.stack.nat.EgressGauge;
import io.userv2.stack.nat.Nat66Policy;
import io.userv2.stack.nat.NatConfig;
import io.userv2.stack.nat.NatEngine;
import io.userv2.stack.nat.NatObserver;
import io.userv2.stack.nat.NatPolicy;
import io.userv2.stack.nat.NatTcpFlow;
import io.userv2.stack.nat.OwnerQuotas;
import io.userv2.stack.wire.IpAddress;
import io.userv2.switchd.loop.EventLoop;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.security.SecureRandom;
import java.util.concurrent.CompletableFuture;
import org.eclipse.jetty.io.EndPoint;

/**
 * Runs the sans-IO {@link NatEngine} on the {@link EventLoop}: NIO host sockets for it (and ping sockets through JNA,
 * see {@link PingSockets}), one {@code now} per loop iteration, its timers as a loop ticker, its batched work flushed
 * once per iteration before the switch's ports write, held-back flows resumed after they wrote, and a log line (with
 * the stack) for every flow a fault aborted.
 * The only NAT code that knows about sockets and clocks. Loop thread only, except where a method says otherwise.
 */
public final class NatLoop implements EventLoop.Ticker, EventLoop.Flushable {
    private static final System.Logger LOG = System.getLogger(NatLoop.class.getName());

    private final EventLoop loop;
    private final NatEngine engine;
    private final NioHostSockets sockets;
    private boolean dirty;

    /**
     * Builds the engine for {@code gateway}, installs it as the gateway's IPv4 forwarder and hooks it into
     * {@code loop}.
     *
     * @param hostKeepAlive keep-alive times for host TCP sockets
     * @param portNames the name of a switch port by its id, for log lines
     */
    public NatLoop(EventLoop loop, Gateway gateway, NatPolicy policy, NatConfig config, ByteBufAllocator alloc,
            EgressGauge egress, HostKeepAlive hostKeepAlive, java.util.function.IntFunction<String> portNames) {
        this.loop = loop;
        this.sockets = new NioHostSockets(loop, hostKeepAlive);
        byte[] secret = new byte[16];
        new SecureRandom().nextBytes(secret);
        NatObserver observer = new NatObserver() {
            @Override
            public void flowFailed(String flow, Throwable failure) {
                LOG.log(System.Logger.Level.ERROR, flow + ": aborted after a fault; other flows carry on", failure);
            }

            @Override
            public void portAtCap(int owner, OwnerQuotas.Kind kind, int cap, long refused) {
                String what = kind == OwnerQuotas.Kind.ICMP_ECHO ? "ICMP echo flows"
                        : kind.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ') + "s";
                LOG.log(System.Logger.Level.WARNING, "port " + portNames.apply(owner) + " is at its cap of " + cap
                        + " " + what + "; refused " + refused + " so far (other VMs are not affected)");
            }
        };
        this.engine = new NatEngine(gateway, policy, config, alloc, sockets, egress, observer, secret);
        sockets.bind(engine);
        gateway.setIpv4Forwarder(engine);
        loop.addTicker(this);
        loop.eachIteration(this::markIfWork);
        loop.afterFlush(() -> {
            engine.resumeHeldBack();
            markIfWork();
        });
        loop.onShutdown(engine::closeAll);
    }

    /**
     * Turns on NAT66 for the gateway's IPv6 side {@code v6}: guest UDP over IPv6 through host IPv6 sockets where
     * {@code policy} says (the gateway's IPv6 addresses reach the host's {@code ::1}); TCP over IPv6 is still reset
     * by the gateway. Call on the loop thread, before traffic.
     */
    public void enableIpv6(GatewayIpv6 v6, Nat66Policy policy) {
        engine.enableIpv6(v6, policy);
    }

    /** Serves DNS over TCP on port 53 of the gateway's own addresses with {@code dns}. */
    public void serveDns(DnsServer dns) {
        engine.serveLocally(53, DnsTcpSession.service(dns, loop));
    }

    /**
     * Serves TCP port {@code port} of the gateway's own addresses in this process: each guest connection is relayed
     * to an endpoint {@code opener} makes for it (the guest API's in-memory HTTP connection, say). Call on the loop
     * thread; replaces what served the port before (on the gateway's address the port is no longer NAT'd to the
     * host).
     */
    public void serveEndPoints(int port, EndPointOpener opener) {
        engine.serveLocally(port, EndPointSession.service(opener, loop));
    }

    private void markIfWork() {
        if (!dirty && engine.hasWork()) {
            dirty = true;
            loop.markDirty(this);
        }
    }

    @Override
    public void flush() {
        dirty = false;
        engine.flush(loop.now());
    }

    @Override
    public long nextDeadline() {
        return engine.pollAt();
    }

    @Override
    public void tick(long now) {
        engine.poll(now);
    }

    /** A VM's switch port closed: everything it owned in the NAT goes. */
    public void portClosed(int port) {
        int ended = engine.portClosed(port, loop.now());
        if (ended > 0) {
            LOG.log(System.Logger.Level.INFO, "port " + port + " closed: ended its " + ended + " NAT flows");
        }
        markIfWork();
    }

    /**
     * Relays an accepted host connection into {@code guest:port} (a port forward).
     *
     * @return false when a connection cap refuses it; {@code client} is closed then
     */
    public boolean openToGuest(IpAddress guest, int port, SocketChannel client) throws IOException {
        NioTcpSocket socket = sockets.accepted(client);
        NatTcpFlow flow = engine.openToGuest(guest, port, socket, loop.now());
        if (flow == null) {
            client.close();
            return false;
        }
        socket.registerConnected(flow);
        markIfWork();
        return true;
    }

    /**
     * Relays {@code client}, an API client's HTTP connection taken over for gvproxy's {@code /tunnel}, into
     * {@code guest:port}; {@code prefix} (what the client sent after its request) goes first. Closes {@code client}
     * when a connection cap refuses it (returns false then), and when either side ends.
     */
    public boolean openToGuest(IpAddress guest, int port, EndPoint client, ByteBuffer prefix) {
        EndPointHostSocket socket = new EndPointHostSocket(client, prefix, loop, engine, this::markIfWork);
        NatTcpFlow flow = engine.openToGuest(guest, port, socket, loop.now());
        if (flow == null) {
            socket.close(true);
            return false;
        }
        socket.attach(flow);
        markIfWork();
        return true;
    }

    /** Lima's wait_port: one connection attempt to {@code guest:port}; completes on the loop thread. */
    public CompletableFuture<Boolean> probe(IpAddress guest, int port, long timeoutNanos) {
        CompletableFuture<Boolean> result = engine.probe(guest, port, timeoutNanos, loop.now());
        markIfWork();
        return result;
    }

    /** The engine (its counters); touch only on the loop thread. */
    public NatEngine engine() {
        return engine;
    }
}
