package io.userv2.switchd.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The DNS surroundings of a switch under test, none of which touches the machine's resolver: a {@link LocalUpstream}
 * on 127.0.0.1, a hosts file (the "host resolver", {@code --host-resolver hosts}) and a resolv.conf whose
 * {@code search} line the DHCP server hands out. {@link #switchArgs()} are the flags that wire them in.
 */
public final class HermeticDns implements AutoCloseable {
    private final LocalUpstream upstream;
    private final Path hostsFile;
    private final Path resolvConf;

    private HermeticDns(LocalUpstream upstream, Path hostsFile, Path resolvConf) {
        this.upstream = upstream;
        this.hostsFile = hostsFile;
        this.resolvConf = resolvConf;
    }

    /**
     * Writes {@code hostsText} and a resolv.conf ({@code search SEARCH...}, {@code nameserver 127.0.0.1}) into
     * {@code dir} and starts the local upstream.
     */
    public static HermeticDns create(Path dir, String hostsText, List<String> search) {
        try {
            Files.createDirectories(dir);
            Path hosts = Files.writeString(dir.resolve("hosts"), hostsText);
            Path resolv = Files.writeString(dir.resolve("resolv.conf"),
                    "# written by the test: never the machine's resolver\n"
                            + (search.isEmpty() ? "" : "search " + String.join(" ", search) + "\n")
                            + "nameserver 127.0.0.1\n");
            return new HermeticDns(LocalUpstream.start(), hosts, resolv);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public LocalUpstream upstream() {
        return upstream;
    }

    public Path hostsFile() {
        return hostsFile;
    }

    public Path resolvConf() {
        return resolvConf;
    }

    /** The switch flags: hosts file only (no OS lookups), the local upstream, the test's resolv.conf. */
    public List<String> switchArgs() {
        return List.of("--host-resolver", "hosts", "--hosts-file", hostsFile.toString(),
                "--dns-upstream", upstream.address(), "--resolv-conf", resolvConf.toString());
    }

    @Override
    public void close() {
        upstream.close();
    }
}
