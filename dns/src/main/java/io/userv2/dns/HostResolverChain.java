package io.userv2.dns;

import java.io.IOException;
import java.net.InetAddress;
import java.util.List;

/** {@link HostResolver#firstOf}: the first resolver that knows a name answers for it. Immutable, thread-safe. */
final class HostResolverChain implements HostResolver {

    private final List<HostResolver> resolvers;

    HostResolverChain(List<HostResolver> resolvers) {
        this.resolvers = List.copyOf(resolvers);
    }

    @Override
    public List<InetAddress> resolve(String name) throws IOException {
        return lookup(name).addresses();
    }

    @Override
    public HostAnswer lookup(String name) throws IOException {
        for (HostResolver r : resolvers) {
            HostAnswer a = r.lookup(name);
            if (a.known()) {
                return a;
            }
        }
        return HostAnswer.NONE;
    }

    @Override
    public boolean listsOnlyAddresses(String name) {
        for (HostResolver r : resolvers) {
            if (r.listsOnlyAddresses(name)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return "first of " + resolvers;
    }
}
