/**
 * The DNS service at the gateway, built on dnsjava. It knows nothing about Ethernet: a front end (the switch's
 * gateway UDP/TCP port 53, or {@link io.userv2.dns.DnsUdpTcpListener} for manual tests) hands raw DNS messages to
 * {@link io.userv2.dns.DnsServer#answer(byte[], int, int, io.userv2.dns.DnsTransport)} and sends back the bytes the
 * returned future completes with.
 *
 * <p>Rules, in the order a query meets them:
 * <ol>
 *   <li>malformed input is answered FORMERR (or dropped when no ID can be read, or when it is itself a response);</li>
 *   <li>names the {@link io.userv2.dns.InternalZone} owns are answered locally (NODATA for types it has no data for),
 *       including PTR for their addresses;</li>
 *   <li>A and AAAA go to the {@link io.userv2.dns.HostResolver} (the host's own lookup);</li>
 *   <li>CNAME, TXT, NS, MX and SRV go to the {@link io.userv2.dns.HostRecordResolver};</li>
 *   <li>everything else, and everything the host could not answer, is forwarded unchanged (same ID) to the upstream
 *       nameservers of the host's resolv.conf ({@link io.userv2.dns.ResolvConfWatcher}), SERVFAIL on timeout.</li>
 * </ol>
 * Names under {@code internal.} that nobody registered are forwarded, not NXDOMAIN'd, so real corporate
 * {@code *.internal} domains keep working (Lima #2417, #3161).
 */
package io.userv2.dns;
