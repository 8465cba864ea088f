package io.userv2.dns;

import java.io.IOException;
import java.util.List;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;

/**
 * Looks up CNAME, TXT, NS, MX and SRV records "on the host" (the Lima rule for those types).
 *
 * <p>Implementations may block (they run on the server's worker threads) and must be thread-safe. The default,
 * {@link UpstreamRecordResolver}, asks the host's resolv.conf nameservers with dnsjava messages.
 */
@FunctionalInterface
public interface HostRecordResolver {

    /**
     * Looks up records.
     *
     * @param name the absolute name asked
     * @param type the dnsjava {@link org.xbill.DNS.Type} asked (one of CNAME, TXT, NS, MX, SRV)
     * @return the answer records (a CNAME chain may precede the records of {@code type}); empty when there are none,
     *     in which case the original query is forwarded
     * @throws IOException when the lookup failed or timed out (the client gets SERVFAIL)
     */
    List<Record> lookup(Name name, int type) throws IOException;
}
