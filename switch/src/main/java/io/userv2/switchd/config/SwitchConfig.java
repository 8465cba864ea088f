package io.userv2.switchd.config;

import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.Ipv4Subnet;
import io.userv2.stack.wire.MacAddress;
import io.userv2.switchd.Main;
import java.nio.file.Path;
import java.util.List;

/**
 * Everything the switch is started with; built from the command line by {@link Main}, or directly by tests and
 * embedders.
 *
 * @param listen where VMs connect (at least one)
 * @param subnet the LAN, 192.168.104.0/24 by default
 * @param gatewayIp the virtual gateway's address, subnet + 2 by default
 * @param gatewayMac the virtual gateway's MAC
 * @param mtu the IP MTU of the LAN; the largest frame accepted is {@code mtu + 18} (Ethernet header and one 802.1Q tag)
 * @param pcap a capture file to write every switched frame to, or null
 * @param dhcp the DHCP server's settings
 * @param dns the DNS server's settings
 * @param nat how guest TCP and UDP reach the host and beyond
 * @param forwards port forwards from the host into guests
 * @param apiSocket the unix socket of the HTTP API ({@code --api}), or null for none
 * @param busyPollMicros the longest the event loop polls for the next event before it sleeps ({@code --busy-poll};
 *     the window within adapts to the traffic, see {@code AdaptiveSpin})
 * @param security what one VM port may make the switch hold and do (MAC caps, IP source guard, budgets)
 * @param ipv6 IPv6 on the LAN (on by default; turned off when the MTU is below IPv6's 1280)
 * @param vxlan the VXLAN uplink to other hosts, and whether this switch runs a gateway at all ({@code --no-gateway})
 * @param coalesceMicros how long the event loop waits before it reads again while a VM streams frames
 *     ({@code --coalesce}; 0: never waits; see {@code ReceiveCoalescing})
 * @param verifyChecksums whether the gateway verifies the TCP checksum of every guest segment
 *     ({@code --verify-checksums}); off by default, since frames from VMs on this host come over memory (receive
 *     checksum offload, see {@link #verifiesTcpChecksums()}), and always on with a VXLAN uplink
 */
public record SwitchConfig(List<ListenAddress> listen, Ipv4Subnet subnet, Ipv4Address gatewayIp,
        MacAddress gatewayMac, int mtu, Path pcap, DhcpSettings dhcp, DnsSettings dns, NatSettings nat,
        ForwardSettings forwards, Path apiSocket, int busyPollMicros, PortSecuritySettings security,
        Ipv6Settings ipv6, VxlanSettings vxlan, int coalesceMicros, boolean verifyChecksums) {
    /** The default of {@code --busy-poll}, in microseconds. */
    public static final int DEFAULT_BUSY_POLL_MICROS = 200;
    /** The default of {@code --coalesce}, in microseconds. */
    public static final int DEFAULT_COALESCE_MICROS = 300;
    /** The most {@code --coalesce} takes, in microseconds. */
    public static final int MAX_COALESCE_MICROS = 1000;

    /** A configuration that trusts guest TCP checksums (the default). */
    public SwitchConfig(List<ListenAddress> listen, Ipv4Subnet subnet, Ipv4Address gatewayIp, MacAddress gatewayMac,
            int mtu, Path pcap, DhcpSettings dhcp, DnsSettings dns, NatSettings nat, ForwardSettings forwards,
            Path apiSocket, int busyPollMicros, PortSecuritySettings security, Ipv6Settings ipv6,
            VxlanSettings vxlan, int coalesceMicros) {
        this(listen, subnet, gatewayIp, gatewayMac, mtu, pcap, dhcp, dns, nat, forwards, apiSocket, busyPollMicros,
                security, ipv6, vxlan, coalesceMicros, false);
    }

    /** A configuration with the default receive coalescing. */
    public SwitchConfig(List<ListenAddress> listen, Ipv4Subnet subnet, Ipv4Address gatewayIp, MacAddress gatewayMac,
            int mtu, Path pcap, DhcpSettings dhcp, DnsSettings dns, NatSettings nat, ForwardSettings forwards,
            Path apiSocket, int busyPollMicros, PortSecuritySettings security, Ipv6Settings ipv6,
            VxlanSettings vxlan) {
        this(listen, subnet, gatewayIp, gatewayMac, mtu, pcap, dhcp, dns, nat, forwards, apiSocket, busyPollMicros,
                security, ipv6, vxlan, DEFAULT_COALESCE_MICROS);
    }

    /** A configuration without VXLAN, with a gateway of its own. */
    public SwitchConfig(List<ListenAddress> listen, Ipv4Subnet subnet, Ipv4Address gatewayIp, MacAddress gatewayMac,
            int mtu, Path pcap, DhcpSettings dhcp, DnsSettings dns, NatSettings nat, ForwardSettings forwards,
            Path apiSocket, int busyPollMicros, PortSecuritySettings security, Ipv6Settings ipv6) {
        this(listen, subnet, gatewayIp, gatewayMac, mtu, pcap, dhcp, dns, nat, forwards, apiSocket, busyPollMicros,
                security, ipv6, VxlanSettings.NONE);
    }

    /** A configuration with IPv6 on (its default prefix), unless the MTU is below 1280. */
    public SwitchConfig(List<ListenAddress> listen, Ipv4Subnet subnet, Ipv4Address gatewayIp, MacAddress gatewayMac,
            int mtu, Path pcap, DhcpSettings dhcp, DnsSettings dns, NatSettings nat, ForwardSettings forwards,
            Path apiSocket, int busyPollMicros, PortSecuritySettings security) {
        this(listen, subnet, gatewayIp, gatewayMac, mtu, pcap, dhcp, dns, nat, forwards, apiSocket, busyPollMicros,
                security, Ipv6Settings.DEFAULT);
    }

    /** A configuration with the default port security (IP source guard off). */
    public SwitchConfig(List<ListenAddress> listen, Ipv4Subnet subnet, Ipv4Address gatewayIp, MacAddress gatewayMac,
            int mtu, Path pcap, DhcpSettings dhcp, DnsSettings dns, NatSettings nat, ForwardSettings forwards,
            Path apiSocket, int busyPollMicros) {
        this(listen, subnet, gatewayIp, gatewayMac, mtu, pcap, dhcp, dns, nat, forwards, apiSocket, busyPollMicros,
                PortSecuritySettings.DEFAULT);
    }

    /** A configuration with the default busy polling. */
    public SwitchConfig(List<ListenAddress> listen, Ipv4Subnet subnet, Ipv4Address gatewayIp, MacAddress gatewayMac,
            int mtu, Path pcap, DhcpSettings dhcp, DnsSettings dns, NatSettings nat, ForwardSettings forwards,
            Path apiSocket) {
        this(listen, subnet, gatewayIp, gatewayMac, mtu, pcap, dhcp, dns, nat, forwards, apiSocket,
                DEFAULT_BUSY_POLL_MICROS);
    }

    /** Default LAN of Lima's user-v2 network. */
    public static final Ipv4Subnet DEFAULT_SUBNET = Ipv4Subnet.parse("192.168.104.0/24");
    /** The gateway MAC gvisor-tap-vsock uses. */
    public static final MacAddress DEFAULT_GATEWAY_MAC = MacAddress.parse("5a:94:ef:e4:0c:dd");
    /** Smallest and largest MTU accepted. */
    public static final int MIN_MTU = 576;
    public static final int MAX_MTU = 65520;
    /** Ethernet header plus one 802.1Q tag. */
    public static final int FRAME_OVERHEAD = 18;

    /** Validates the combination; throws IllegalArgumentException with a user-facing message. */
    public SwitchConfig {
        listen = List.copyOf(listen);
        java.util.Objects.requireNonNull(security, "security");
        java.util.Objects.requireNonNull(ipv6, "ipv6");
        java.util.Objects.requireNonNull(vxlan, "vxlan");
        if (ipv6.enabled() && mtu < Ipv6Settings.MIN_MTU) {
            ipv6 = ipv6.off(); // RFC 8200 5: no IPv6 on a link below 1280 (Main refuses --ipv6=on with such an MTU)
        }
        if (listen.isEmpty()) {
            throw new IllegalArgumentException("give at least one --listen, --listen-vfkit, --listen-bess, --connect-bess or --listen-stdio");
        }
        if (busyPollMicros < 0 || busyPollMicros > 10_000) {
            throw new IllegalArgumentException("--busy-poll must be between 0 and 10000 microseconds");
        }
        if (coalesceMicros < 0 || coalesceMicros > MAX_COALESCE_MICROS) {
            throw new IllegalArgumentException("--coalesce must be between 0 and " + MAX_COALESCE_MICROS
                    + " microseconds");
        }
        if (mtu < MIN_MTU || mtu > MAX_MTU) {
            throw new IllegalArgumentException("--mtu must be between " + MIN_MTU + " and " + MAX_MTU + ", got " + mtu);
        }
        if (!subnet.contains(gatewayIp) || gatewayIp.equals(subnet.network()) || gatewayIp.equals(subnet.broadcast())) {
            throw new IllegalArgumentException("gateway " + gatewayIp + " is not a host address of " + subnet);
        }
        if (vxlan.noGateway() && forwards != null && !forwards.forwards().isEmpty()) {
            // A forward is the gateway's NAT dialling a guest: a pure switch has neither.
            throw new IllegalArgumentException("--forward " + forwards.forwards().get(0) + ": this switch has no"
                    + " gateway (--no-gateway), and forwards go through the gateway; give --forward to the host"
                    + " that runs the LAN's gateway");
        }
    }

    /** This configuration with other port security. */
    public SwitchConfig withSecurity(PortSecuritySettings s) {
        return new SwitchConfig(listen, subnet, gatewayIp, gatewayMac, mtu, pcap, dhcp, dns, nat, forwards, apiSocket,
                busyPollMicros, s, ipv6, vxlan, coalesceMicros, verifyChecksums);
    }

    /** This configuration with other IPv6 settings. */
    public SwitchConfig withIpv6(Ipv6Settings s) {
        return new SwitchConfig(listen, subnet, gatewayIp, gatewayMac, mtu, pcap, dhcp, dns, nat, forwards, apiSocket,
                busyPollMicros, security, s, vxlan, coalesceMicros, verifyChecksums);
    }

    /** This configuration with another VXLAN uplink (or pure-switch mode). */
    public SwitchConfig withVxlan(VxlanSettings v) {
        return new SwitchConfig(listen, subnet, gatewayIp, gatewayMac, mtu, pcap, dhcp, dns, nat, forwards, apiSocket,
                busyPollMicros, security, ipv6, v, coalesceMicros, verifyChecksums);
    }

    /** This configuration with another receive-coalescing window. */
    public SwitchConfig withCoalesce(int micros) {
        return new SwitchConfig(listen, subnet, gatewayIp, gatewayMac, mtu, pcap, dhcp, dns, nat, forwards, apiSocket,
                busyPollMicros, security, ipv6, vxlan, micros, verifyChecksums);
    }

    /** This configuration with guest TCP checksums verified ({@code --verify-checksums}) or trusted. */
    public SwitchConfig withVerifyChecksums(boolean on) {
        return new SwitchConfig(listen, subnet, gatewayIp, gatewayMac, mtu, pcap, dhcp, dns, nat, forwards, apiSocket,
                busyPollMicros, security, ipv6, vxlan, coalesceMicros, on);
    }

    /**
     * Whether the gateway verifies guest TCP checksums: when asked to, or when frames may come from other hosts over
     * a VXLAN uplink. Frames from VMs on this host come over memory (a unix socket, a pipe), where nothing can corrupt
     * them, so by default their checksums are trusted as a NIC with receive checksum offload would have checked them,
     * as gvisor-tap-vsock and passt do; that saves a pass over every payload byte guest to host.
     */
    public boolean verifiesTcpChecksums() {
        return verifyChecksums || vxlan.enabled();
    }

    /** The LAN's IPv6 /64 (served only when {@link Ipv6Settings#enabled()}). */
    public io.userv2.stack.wire.Ipv6Prefix ipv6Prefix() {
        return ipv6.prefixFor(subnet, gatewayMac);
    }

    /** The gateway's address in {@link #ipv6Prefix()}: the IPv4 gateway's host number as interface identifier. */
    public io.userv2.stack.wire.Ipv6Address gatewayIpv6() {
        return Ipv6Settings.gatewayAddress(ipv6Prefix(), subnet, gatewayIp);
    }

    /** A configuration with in-memory leases, the host's DNS configuration, default NAT and no forwards. */
    public SwitchConfig(List<ListenAddress> listen, Ipv4Subnet subnet, Ipv4Address gatewayIp, MacAddress gatewayMac,
            int mtu, Path pcap) {
        this(listen, subnet, gatewayIp, gatewayMac, mtu, pcap, DhcpSettings.EPHEMERAL, DnsSettings.HOST,
                NatSettings.DEFAULT, ForwardSettings.NONE, null);
    }

    /** The gateway address of a subnet by Lima's rule: the network address + 2. */
    public static Ipv4Address defaultGateway(Ipv4Subnet subnet) {
        return subnet.host(2);
    }

    /** The largest Ethernet frame accepted on any port. */
    public int maxFrame() {
        return mtu + FRAME_OVERHEAD;
    }
}
