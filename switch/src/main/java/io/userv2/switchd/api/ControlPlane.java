package io.userv2.switchd.api;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.eclipse.jetty.io.EndPoint;

/**
 * The HTTP API's only view of the running switch; the daemon implements it.
 *
 * <p>The API validates every argument before calling (IP literals, ports, protocol {@code tcp}/{@code udp}/{@code unix},
 * forward addresses in the canonical {@code IP:PORT} form, a unix forward's absolute socket path and its
 * {@code tcp://HOST:PORT} remote, guests by IPv4 literal or DNS name), so implementations only decide what the switch
 * can do.
 * Methods are called from the API's own threads, never from the switch's event loop; an implementation that must run
 * on the event loop hands the work over itself. Any call may fail with an {@link ApiException} (503 while the network
 * is not up).
 */
public interface ControlPlane {
    /**
     * False on a switch without a gateway of its own ({@code --no-gateway}): the calls that need the gateway
     * (forwards, DNS zones, {@code wait_port}, {@code /tunnel}) can never work there, and the API answers them with
     * 409 Conflict without calling them.
     */
    default boolean hasGateway() throws ApiException {
        return true;
    }

    /**
     * The gateway's own address and the active DHCP leases, IP address (dotted quad) to MAC address
     * ({@code 52:55:55:12:34:56}), as gvproxy lists them.
     */
    Map<String, String> leases() throws ApiException;

    /** The MAC addresses learned on VM ports, each to its port's id (gvproxy's {@code /cam}). */
    Map<String, Integer> cam() throws ApiException;

    /**
     * Starts forwarding {@code forward.local()} on the host to {@code forward.remote()} on the LAN.
     *
     * @throws ApiException 400 for input the switch cannot use; 500 "proxy already running for PROTOCOL on LOCAL"
     *     when {@code local} is already exposed for that protocol (gvproxy's status and words), 500 when binding the
     *     host socket fails (the message says why)
     */
    void expose(Forward forward) throws ApiException;

    /**
     * Stops the forward listening on {@code local} for {@code protocol}.
     *
     * @throws ApiException 500 "proxy not found" when there is no such forward (gvproxy's status and words)
     */
    void unexpose(String local, String protocol) throws ApiException;

    /** The forwards now exposed. */
    List<Forward> forwards() throws ApiException;

    /**
     * Adds a DNS zone, or replaces the zone of the same name.
     *
     * @throws ApiException 400 for a zone the DNS service cannot serve
     */
    void addDnsZone(DnsZoneSpec zone) throws ApiException;

    /** The DNS zones added so far (through the API or the configuration). */
    List<DnsZoneSpec> dnsZones() throws ApiException;

    /** Counters (bytes and frames in and out, per port, ...) as a tree Jackson can serialise. */
    Map<String, Object> stats() throws ApiException;

    /** Metrics in the Prometheus text exposition format (version 0.0.4). */
    String metrics() throws ApiException;

    /**
     * The guests' IPv6 addresses, IPv6 address to MAC as {@link #leases()} has it for IPv4 (a separate call: Lima's
     * client looks a VM's MAC up among the values of the IPv4 list and dials the key as {@code IP:22}, so IPv6 keys
     * there would break it): the gateway's own address first, then the DHCPv6 leases in force, then every address in
     * the LAN's prefix the gateway heard a guest use (SLAAC, privacy addresses). Empty when IPv6 is off.
     */
    default Map<String, String> leases6() throws ApiException {
        return Map.of();
    }

    /**
     * Makes one TCP connection attempt to {@code ip:port} through the virtual network, closing it at once if it opens.
     *
     * @return completes with {@code true} when the port accepted the connection, {@code false} when it refused it or
     *     did not answer in time; may complete on any thread
     */
    CompletableFuture<Boolean> probeTcp(String ip, int port);

    /**
     * Relays {@code client} to a new TCP connection from the gateway to {@code ip:port} on the LAN (gvproxy's
     * {@code /tunnel}), byte for byte both ways, until either side ends. From the call on the implementation owns
     * {@code client} and closes it when the relay ends or cannot start.
     *
     * @param client an API client's HTTP connection, taken over after its request (and the "OK" answer) was read
     * @param prefix bytes the client sent after its request, to be relayed first (may be empty)
     * @throws ApiException 503 while the network is not up ({@code client} is closed then too)
     */
    void tunnel(String ip, int port, EndPoint client, ByteBuffer prefix) throws ApiException;
}
