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
 *   <li>A and AAAA go to the {@link io.userv2.dns.HostResolver} (the host's own lookup, never for names under
 *       {@code arpa.}); a hosts-file name with addresses of the other family only is NODATA, answered here, never
 *       forwarded. A name the OS resolver knows with the other family only is forwarded (glibc returns IPv4 alone
 *       when its AAAA lookup failed or with {@code options no-aaaa}, so a real AAAA upstream wins), and only the
 *       upstream's NXDOMAIN or failure becomes NODATA;</li>
 *   <li>other types of a hosts-file name are NODATA, answered here (it has nothing but addresses);</li>
 *   <li>CNAME, TXT, NS, MX and SRV go to the {@link io.userv2.dns.HostRecordResolver};</li>
 *   <li>everything else, and everything the host could not answer, is forwarded unchanged (same ID) to the upstream
 *       nameservers of the host's resolv.conf ({@link io.userv2.dns.ResolvConfWatcher}), SERVFAIL on timeout.
 *       The upstream's NXDOMAIN (with an empty answer section) is then corrected: for an apex or empty
 *       non-terminal of the gateway's zones ({@code internal}, {@code lima.internal}) it is NODATA (RFC 8020), as
 *       is a failed forward there; for a name the host resolver found (by the A/AAAA query itself, or for other types
 *       by an A/AAAA query of the last few minutes: no host lookup is made for them) it is NODATA; for another
 *       name under the
 *       gateway's zones it is NXDOMAIN with the zone's SOA.</li>
 * </ol>
 * Names under {@code internal.} that nobody registered are forwarded, not NXDOMAIN'd, so real corporate
 * {@code *.internal} domains keep working (Lima #2417, #3161); for the same reason the apex and empty non-terminals
 * are asked upstream first and only the upstream's NXDOMAIN (or silence) becomes NODATA.
 *
 * <p><b>Caching.</b> The gateway's own positive answers carry {@link io.userv2.dns.DnsConfig#DEFAULT_LOCAL_TTL} (5 s,
 * configurable); every negative answer it makes (NODATA, NXDOMAIN) carries in its authority section a synthesised
 * SOA of the zone (or, for a host-resolver name outside the zones, of the name itself) whose TTL and MINIMUM are the
 * negative TTL, so resolvers may cache it (RFC 2308 sections 3 and 5). systemd-resolved caches an NXDOMAIN for every
 * type of a name, which is why a missing family must never be answered NXDOMAIN.
 */
package io.userv2.dns;
