package io.userv2.switchd;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.userv2.stack.FrameSink;
import io.userv2.stack.gateway.Gateway;
import io.userv2.stack.gateway.GatewayIpv6;
import io.userv2.stack.nat.EgressGauge;
import io.userv2.stack.nat.Nat64Policy;
import io.userv2.stack.nat.Nat66Policy;
import io.userv2.stack.nat.NatPolicy;
import io.userv2.switchd.capture.FrameCapture;
import io.userv2.switchd.capture.PcapWriter;
import io.userv2.switchd.config.ForwardSettings;
import io.userv2.switchd.config.ListenAddress;
import io.userv2.switchd.config.NatSettings;
import io.userv2.switchd.config.SwitchConfig;
import io.userv2.switchd.forward.GuestNames;
import io.userv2.switchd.forward.PortForwards;
import io.userv2.switchd.loop.EventLoop;
import io.userv2.switchd.nat.NatLoop;
import io.userv2.switchd.port.LinkPorts;
import io.userv2.switchd.port.Port;
import io.userv2.switchd.port.VirtualPort;
import io.userv2.switchd.security.DhcpBindings;
import io.userv2.switchd.security.IngressFilter;
import io.userv2.switchd.security.UnknownUnicastProbe;
import io.userv2.switchd.services.GatewayServices;
import io.userv2.switchd.state.ForwardsFile;
import io.userv2.switchd.state.StateWriter;
import io.userv2.switchd.switching.LearningSwitch;
import io.userv2.switchd.transport.FdPassingTransport;
import io.userv2.switchd.transport.SeqpacketTransport;
import io.userv2.switchd.transport.StdioTransport;
import io.userv2.switchd.transport.StreamListener;
import io.userv2.switchd.transport.UnixgramTransport;
import io.userv2.switchd.vxlan.VxlanTransport;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The wiring root: connects the listeners, the learning switch, the virtual gateway and the capture file into one
 * running virtual LAN, in one readable place. Everything it creates runs on one {@link EventLoop} thread.
 */
public final class VirtualNetwork implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(VirtualNetwork.class.getName());
    /** Most bytes queued towards one VM before its frames are dropped. */
    private static final int EGRESS_LIMIT = 4 * 1024 * 1024;
    /** How long shutdown waits for the state files still being written. */
    private static final long STATE_CLOSE_MILLIS = 3_000;

    private final SwitchConfig config;
    private final EventLoop loop;
    private final LearningSwitch sw;
    private final Gateway gateway;
    private final PcapWriter pcap;
    private GatewayServices services;
    private NatLoop nat;
    private PortForwards forwards;
    private VxlanTransport vxlan;
    private final List<StreamListener> listeners = new ArrayList<>();
    /** Every transport opened, in --listen order (with the real port of tcp://...:0). */
    private final List<ListenAddress> bound = new ArrayList<>();
    private Thread thread;

    private VirtualNetwork(SwitchConfig config, EventLoop loop, LearningSwitch sw, Gateway gateway, PcapWriter pcap) {
        this.config = config;
        this.loop = loop;
        this.sw = sw;
        this.gateway = gateway;
        this.pcap = pcap;
    }

    /**
     * Where forwards find guests given by name: the gateway's own DNS names on the LAN; with IPv6 on, a name in
     * brackets finds the VM's address in the LAN's IPv6 prefix.
     */
    private static GuestNames guestNames(SwitchConfig config, Gateway gateway, GatewayServices services) {
        GatewayIpv6 v6 = gateway.ipv6();
        if (!config.ipv6().enabled() || v6 == null) {
            return GuestNames.of(services.dns().zone(), config.subnet(), config.gatewayIp());
        }
        return GuestNames.of(services.dns().zone(), config.subnet(), config.gatewayIp(), v6.config().prefix(),
                v6::owns);
    }

    /**
     * Builds the network for {@code config} and binds every listening socket (so that a refused or busy address is
     * reported before anything runs). Call {@link #run()} or {@link #start()} next.
     */
    public static VirtualNetwork create(SwitchConfig config) throws IOException {
        ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
        EventLoop loop = new EventLoop();
        loop.setMaxSpinNanos(config.busyPollMicros() * 1000L);
        loop.setCoalesceNanos(config.coalesceMicros() * 1000L);
        PcapWriter pcap = config.pcap() == null ? null : new PcapWriter(config.pcap());
        LearningSwitch sw = new LearningSwitch(pcap == null ? FrameCapture.NONE : pcap, config.security());

        VirtualPort[] gatewayPort = new VirtualPort[1];
        // --no-gateway: a pure switch. The engine is built as always (the API's calls find it) but never attached:
        // it hears nothing and what it would send is dropped here, so the LAN's gateway is another host's.
        boolean withGateway = !config.vxlan().noGateway();
        FrameSink toLan = new FrameSink() {
            @Override
            public void send(ByteBuf frame) {
                try {
                    if (withGateway) {
                        sw.forward(frame, frame.readerIndex(), frame.readableBytes(), gatewayPort[0], loop.now());
                    }
                } finally {
                    frame.release();
                }
            }

            // The gateway's segments to a VM are built in that VM port's staging buffer, not copied there.
            @Override
            public ByteBuf reserve(long dstMac, int length) {
                return withGateway ? sw.reserveFromGateway(dstMac, length) : null;
            }

            @Override
            public void commit() {
                sw.commitFromGateway();
            }

            @Override
            public void cancel() {
                sw.cancelFromGateway();
            }
        };
        Gateway gateway = new Gateway(config.gatewayMac(), config.gatewayIp(), config.subnet(), toLan, config.mtu());
        gatewayPort[0] = new VirtualPort("gateway", config.gatewayMac(), gateway::receive, loop::now);
        DhcpBindings bindings = withGateway && config.security().ipSourceGuard()
                ? new DhcpBindings(config.dhcp().staticLeases(), sw::portOf) : null;
        // The gateway's IPv6 addresses (its LAN-prefix address and the link-local of its MAC), as the engine has
        // them once the services turn IPv6 on (below); on a pure switch the engine, unattached, is configured as the
        // gateway host's is, so it knows the same addresses.
        IngressFilter.Ipv6Owner gatewayIpv6 = !config.ipv6().enabled() ? null : (h, l) -> {
            GatewayIpv6 v6 = gateway.ipv6();
            return v6 != null && v6.owns(h, l);
        };
        if (withGateway) {
            sw.attachGateway(gatewayPort[0]); // a static entry: no VM can take the gateway's MAC over
            UnknownUnicastProbe probe = new UnknownUnicastProbe(gateway);
            sw.onGatewayUnknownUnicast(probe::dropped);
            sw.setIngressFilter(new IngressFilter(gateway::owns, bindings, gatewayIpv6));
        } else {
            sw.reserveRemoteGateway(config.gatewayMac().bits()); // the LAN's gateway is behind a VXLAN remote only
            // Port security as on the gateway's host: no VM here may speak for the gateway's addresses (ARP, NDP,
            // IP source) or send Router Advertisements. IP source guard stays off: the leases are the other host's.
            // Frames from the uplinks pass unchecked: the real gateway's ARP and RAs come from there.
            sw.setIngressFilter(IngressFilter.trustingUplinks(gateway::owns, gatewayIpv6));
            LOG.log(System.Logger.Level.INFO, "--no-gateway: a pure switch; no ARP, DHCP, DNS or NAT of its own");
        }

        VirtualNetwork net = new VirtualNetwork(config, loop, sw, gateway, pcap);
        loop.addTicker(new EventLoop.Ticker() { // fragments that never completed are dropped on time
            @Override
            public long nextDeadline() {
                return gateway.pollAt();
            }

            @Override
            public void tick(long now) {
                gateway.poll(now);
            }
        });
        StateWriter state = new StateWriter(loop::execute, STATE_CLOSE_MILLIS);
        try {
            net.services = GatewayServices.attach(config, gateway, loop, state, bindings);
            loop.onShutdown(net.services::close);
            net.nat = attachNat(config, gateway, sw, loop, alloc, net.services);
            loop.onShutdown(gateway::close); // after the NAT's flows: the reassembly buffers
            ForwardSettings fs = config.forwards();
            net.forwards = new PortForwards(loop, gateway, net.nat,
                    guestNames(config, gateway, net.services), config.mtu(),
                    config.nat().udpIdleTimeoutSeconds() * 1_000_000_000L,
                    fs.stateFile() == null ? null : new ForwardsFile(fs.stateFile(), state));
            if (withGateway) {
                net.forwards.restore(fs.forwards()); // a pure switch has none (SwitchConfig refuses --forward)
            }
            // A port's read and write buffers (~330 KiB, and up to EGRESS_LIMIT) live as long as the port and are
            // allocated once: pooling them buys nothing, and a pool chunk they leave under 25% used stays in the
            // arena for good. Unpooled, they go back to malloc (and from there to the system at the next
            // compaction) when the port closes or gives its idle buffers back.
            LinkPorts ports = new LinkPorts(loop, sw, config.maxFrame(), UnpooledByteBufAllocator.DEFAULT, EGRESS_LIMIT);
            for (ListenAddress address : config.listen()) {
                if (address instanceof ListenAddress.Unix || address instanceof ListenAddress.Tcp) {
                    net.listeners.add(StreamListener.open(address, ports));
                } else if (address instanceof ListenAddress.Unixgram g) {
                    UnixgramTransport.open(g.path(), ports);
                } else if (address instanceof ListenAddress.Seqpacket q) {
                    SeqpacketTransport.listen(q.path(), ports);
                } else if (address instanceof ListenAddress.SeqpacketConnect q) {
                    SeqpacketTransport.connect(q.path(), ports);
                } else if (address instanceof ListenAddress.FdPassing f) {
                    FdPassingTransport.open(f.path(), ports);
                } else {
                    StdioTransport.open(ports, loop::stop);
                }
                net.bound.add(address);
            }
            if (config.vxlan().enabled()) {
                net.vxlan = VxlanTransport.open(config.vxlan(), loop, sw, UnpooledByteBufAllocator.DEFAULT,
                        EGRESS_LIMIT, config.mtu(), config.maxFrame(), config.gatewayMac().bits(), withGateway);
            }
        } catch (IOException | RuntimeException e) {
            for (StreamListener l : net.listeners) {
                l.shutdown();
            }
            loop.shutdownIfNeverStarted(); // the other transports close through the loop's shutdown hooks
            if (net.services != null) {
                net.services.close();
            }
            state.close();
            if (pcap != null) {
                pcap.close();
            }
            throw e;
        }
        loop.every(10_000_000_000L, () -> sw.expire(System.nanoTime()));
        loop.onShutdown(state::close); // after the hooks above: the latest leases and forwards reach the disk
        if (pcap != null) {
            loop.every(1_000_000_000L, pcap::flush); // hands the staged frames to the capture's writer thread
            loop.onShutdown(() -> {
                try {
                    pcap.close();
                } catch (IOException e) {
                    LOG.log(System.Logger.Level.WARNING, "closing capture file: " + e.getMessage());
                }
            });
        }
        loop.onShutdown(() -> LOG.log(System.Logger.Level.INFO, "stopped"));
        return net;
    }

    private static NatLoop attachNat(SwitchConfig config, Gateway gateway, LearningSwitch sw, EventLoop loop,
            ByteBufAllocator alloc, GatewayServices services) {
        NatSettings settings = config.nat();
        // The host alias is the gateway's own address, as in Lima's user-v2 network, unless gvproxy's layout puts it
        // on an address of its own.
        NatPolicy policy = new NatPolicy(config.subnet(), settings.hostAliasOr(config.gatewayIp()), settings.rules(),
                settings.outside(), settings.linkLocal());
        EgressGauge egress = mac -> {
            Port port = sw.portOf(mac);
            return port == null ? 0 : port.queuedBytes();
        };
        NatLoop nat = new NatLoop(loop, gateway, policy, settings.engineConfig(config.mtu())
                .withTcpChecksumVerification(config.verifiesTcpChecksums()), alloc, egress,
                settings.hostKeepAlive(), id -> sw.ports().stream().filter(p -> p.id() == id).map(Port::name)
                        .findFirst().orElse("#" + id));
        nat.serveDns(services.dns());
        GatewayIpv6 v6 = gateway.ipv6();
        if (config.ipv6().enabled() && v6 != null) {
            // NAT66: the gateway's IPv6 addresses are the IPv6 host alias (the host's ::1); --nat rules with IPv6
            // addresses map further ones.
            Nat66Policy nat66 = new Nat66Policy(v6.config().prefix(), Set.of(v6.address(), v6.linkLocal()),
                    settings.rules6(), settings.outside());
            Nat64Policy nat64 = settings.nat64Policy(config.subnet(), config.gatewayIp());
            if (nat64 != null && (nat64.prefix().prefix().contains(v6.config().prefix().network())
                    || v6.config().prefix().contains(nat64.prefix().prefix().network()))) {
                throw new IllegalArgumentException("--nat64-prefix " + nat64.prefix() + " overlaps the LAN's "
                        + v6.config().prefix());
            }
            nat.enableIpv6(v6, nat64 == null ? nat66 : nat66.withNat64(nat64)); // NAT64: the prefix over IPv4
        }
        sw.onDetach(port -> {
            nat.portClosed(port.id());
            gateway.releaseOwner(port.id()); // its fragments in reassembly and its IPv6 neighbours go too
            services.portClosed(port.id()); // and its DHCPv6 offers
        });
        return nat;
    }

    /** Port forwards into guests; touch only on the loop thread. */
    public PortForwards forwards() {
        return forwards;
    }

    /** The VXLAN uplink, or null without one; touch only on the loop thread. */
    public VxlanTransport vxlan() {
        return vxlan;
    }

    /** NAT of guest TCP and UDP; touch only on the loop thread. */
    public NatLoop nat() {
        return nat;
    }

    /** The addresses actually bound, in {@code --listen} order. */
    public List<ListenAddress> boundAddresses() {
        List<ListenAddress> out = new ArrayList<>();
        int stream = 0;
        for (ListenAddress a : bound) {
            out.add(a instanceof ListenAddress.Unix || a instanceof ListenAddress.Tcp
                    ? listeners.get(stream++).address() : a);
        }
        return out;
    }

    /** The configuration this network runs with. */
    public SwitchConfig config() {
        return config;
    }

    /** The learning switch; touch only on the loop thread (see {@link #loop()}). */
    public LearningSwitch learningSwitch() {
        return sw;
    }

    /** The virtual gateway engine; touch only on the loop thread. */
    public Gateway gateway() {
        return gateway;
    }

    /** DHCP and DNS at the gateway. */
    public GatewayServices services() {
        return services;
    }

    /** The event loop that owns everything here. */
    public EventLoop loop() {
        return loop;
    }

    /** Runs the network on the calling thread until {@link #close()} is called from another thread. */
    public void run() {
        for (ListenAddress a : boundAddresses()) {
            LOG.log(System.Logger.Level.INFO, "listening on " + a);
        }
        loop.run();
    }

    /** Runs the network on a new thread named {@code userv2-loop}. */
    public void start() {
        thread = new Thread(this::run, "userv2-loop");
        thread.start();
    }

    /**
     * Stops the loop, closes every connection, removes the socket files we created and flushes the capture; waits
     * up to 5 s for that to finish.
     */
    @Override
    public void close() {
        loop.stop();
        if (loop.shutdownIfNeverStarted()) {
            return;
        }
        try {
            if (!loop.awaitTermination(5_000)) {
                LOG.log(System.Logger.Level.WARNING, "event loop did not stop within 5 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
