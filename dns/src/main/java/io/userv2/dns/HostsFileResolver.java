package io.userv2.dns;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A {@link HostResolver} that reads a hosts(5) file ({@code ADDRESS NAME [ALIAS...]}, {@code #} comments) and nothing
 * else: deterministic, network-free, for tests and for setups that want fixed answers. Names compare
 * case-insensitively; a name listed on several lines gets all their addresses, in file order. The file is read once,
 * at construction. A name it lists exists with exactly the listed addresses: the server answers the family the file
 * does not list, and every other type, NODATA rather than forwarding it. Immutable and thread-safe.
 */
public final class HostsFileResolver implements HostResolver {

    private final Map<String, List<InetAddress>> byName;

    private HostsFileResolver(Map<String, List<InetAddress>> byName) {
        this.byName = byName;
    }

    /** Reads {@code file} now. */
    public static HostsFileResolver read(Path file) throws IOException {
        return parse(Files.readString(file, StandardCharsets.UTF_8));
    }

    /** Parses hosts-file text; lines whose address is not an IP literal are ignored. */
    public static HostsFileResolver parse(String text) {
        Map<String, List<InetAddress>> m = new LinkedHashMap<>();
        for (String raw : text.split("\\R")) {
            int hash = raw.indexOf('#');
            String line = (hash >= 0 ? raw.substring(0, hash) : raw).trim();
            if (line.isEmpty()) {
                continue;
            }
            String[] tok = line.split("\\s+");
            InetAddress a = IpLiterals.parse(tok[0]);
            if (a == null) {
                continue;
            }
            for (int i = 1; i < tok.length; i++) {
                List<InetAddress> list = m.computeIfAbsent(normalise(tok[i]), k -> new ArrayList<>());
                if (!list.contains(a)) {
                    list.add(a);
                }
            }
        }
        m.replaceAll((k, v) -> List.copyOf(v));
        return new HostsFileResolver(Map.copyOf(m));
    }

    @Override
    public List<InetAddress> resolve(String name) {
        return byName.getOrDefault(normalise(name), List.of());
    }

    /** The file lists every address a name has: a family it does not list for a known name has none. */
    @Override
    public HostAnswer lookup(String name) {
        return new HostAnswer(resolve(name), true);
    }

    /** A name of the file has addresses only (as in systemd-resolved's reading of /etc/hosts). */
    @Override
    public boolean listsOnlyAddresses(String name) {
        return byName.containsKey(normalise(name));
    }

    private static String normalise(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return n.endsWith(".") ? n.substring(0, n.length() - 1) : n;
    }

    @Override
    public String toString() {
        return "HostsFileResolver" + byName.keySet();
    }
}
