package io.userv2.dns;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * The parts of a resolv.conf the gateway needs: the nameservers (upstreams for forwarding) and the search list
 * (handed to guests by DHCP). Immutable and thread-safe.
 *
 * <p>Parsing follows resolv.conf(5): {@code nameserver ADDRESS} lines (port 53; resolv.conf has no port syntax),
 * {@code search} and {@code domain} lines (the last one wins), {@code #} and {@code ;} comments. Nameserver entries
 * that are not IP literals are ignored rather than resolved: reading resolv.conf must never itself cause a lookup.
 *
 * @param nameservers the nameservers in file order; may be empty
 * @param searchDomains the search list in file order, without trailing dots; may be empty
 */
public record ResolvConf(List<InetSocketAddress> nameservers, List<String> searchDomains) {

    /** A resolv.conf with nothing in it (a missing file reads as this). */
    public static final ResolvConf EMPTY = new ResolvConf(List.of(), List.of());

    /** Copies the lists. */
    public ResolvConf {
        nameservers = List.copyOf(nameservers);
        searchDomains = List.copyOf(searchDomains);
    }

    /** Parses the text of a resolv.conf; never throws, unknown lines are ignored. */
    public static ResolvConf parse(String text) {
        List<InetSocketAddress> servers = new ArrayList<>();
        List<String> search = new ArrayList<>();
        for (String raw : text.split("\\R")) {
            String line = raw;
            int hash = indexOfComment(line);
            if (hash >= 0) {
                line = line.substring(0, hash);
            }
            String[] tok = line.trim().split("\\s+");
            if (tok.length < 2) {
                continue;
            }
            switch (tok[0]) {
                case "nameserver" -> {
                    InetAddress a = IpLiterals.parse(tok[1]);
                    if (a != null) {
                        InetSocketAddress sa = new InetSocketAddress(a, 53);
                        if (!servers.contains(sa)) {
                            servers.add(sa);
                        }
                    }
                }
                case "search", "domain" -> {
                    search.clear();
                    for (int i = 1; i < tok.length; i++) {
                        String d = tok[i].endsWith(".") ? tok[i].substring(0, tok[i].length() - 1) : tok[i];
                        if (!d.isEmpty()) {
                            search.add(d);
                        }
                    }
                }
                default -> { }
            }
        }
        return new ResolvConf(servers, search);
    }

    private static int indexOfComment(String line) {
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c == '#' || c == ';') {
                return i;
            }
        }
        return -1;
    }
}
