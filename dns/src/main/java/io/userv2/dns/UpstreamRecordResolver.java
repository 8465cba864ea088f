package io.userv2.dns;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * The default {@link HostRecordResolver}: asks the host's nameservers (the same {@link UpstreamSource} forwarding
 * uses, normally the host's resolv.conf) with a fresh dnsjava query, over UDP and then TCP when the reply is
 * truncated, and returns the answer section (CNAME chain included). A negative or empty answer returns an empty list,
 * so the server then forwards the client's original query (the price of the rule "anything not answered is
 * forwarded" is a second round trip for names that do not exist). Thread-safe; blocking.
 */
public final class UpstreamRecordResolver implements HostRecordResolver {

    private final UpstreamSource upstreams;
    private final UpstreamExchange exchange;
    private final long timeoutNanos;

    /**
     * @param upstreams where to ask
     * @param timeout the whole lookup's budget
     * @param attemptTimeout one server attempt's budget
     */
    public UpstreamRecordResolver(UpstreamSource upstreams, Duration timeout, Duration attemptTimeout) {
        this.upstreams = Objects.requireNonNull(upstreams, "upstreams");
        this.timeoutNanos = timeout.toNanos();
        this.exchange = new UpstreamExchange(attemptTimeout.toNanos(), 2);
    }

    @Override
    public List<Record> lookup(Name name, int type) throws IOException {
        Message query = Message.newQuery(Record.newRecord(name, type, DClass.IN));
        byte[] reply = exchange.exchange(query.toWire(), upstreams.upstreams(), true,
                System.nanoTime() + timeoutNanos);
        Message m = new Message(reply);
        if (m.getRcode() != Rcode.NOERROR) {
            return List.of();
        }
        List<Record> out = new ArrayList<>();
        boolean any = false;
        for (Record r : m.getSection(Section.ANSWER)) {
            if (r.getType() == type || r.getType() == Type.CNAME || r.getType() == Type.DNAME) {
                out.add(r);
                any |= r.getType() == type;
            }
        }
        return any ? out : List.of();
    }

    @Override
    public String toString() {
        return "UpstreamRecordResolver[" + upstreams + "]";
    }
}
