package io.userv2.switchd.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.userv2.stack.dhcp.SaveCompletion;
import io.userv2.stack.dhcp6.Dhcp6Lease;
import io.userv2.stack.dhcp6.Duid;
import io.userv2.stack.wire.Ipv6Address;
import io.userv2.stack.wire.MacAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The DHCPv6 lease file: the same atomic, tolerant store as the IPv4 one, for (DUID, IAID) bindings. */
class Dhcp6LeaseFileTest {
    static final Dhcp6Lease LEASE = new Dhcp6Lease(Duid.linkLayer(MacAddress.parse("52:55:55:12:34:56")), 0xF000_0001,
            Ipv6Address.parse("fd00:1::1a2b").toInetAddress(), MacAddress.parse("52:55:55:12:34:56"),
            Instant.parse("2026-01-01T01:00:00.250Z").toEpochMilli());

    @TempDir
    Path dir;
    final StateWriter writer = new StateWriter(Runnable::run, 10_000);

    @AfterEach
    void close() {
        writer.close();
    }

    RuntimeException save(Dhcp6LeaseFile store, List<Dhcp6Lease> leases) throws Exception {
        CompletableFuture<RuntimeException> done = new CompletableFuture<>();
        store.save(1, leases, new SaveCompletion() {
            @Override
            public void stored(long generation) {
                done.complete(null);
            }

            @Override
            public void failed(long generation, RuntimeException error) {
                done.complete(error);
            }
        });
        return done.get(10, TimeUnit.SECONDS);
    }

    @Test
    void roundTripsBesideTheIpv4File() throws Exception {
        Path file = Dhcp6LeaseFile.besideIpv4(dir.resolve("net.leases.json"));
        assertEquals(dir.resolve("net.leases6.json"), file);
        assertEquals(List.of(), new Dhcp6LeaseFile(file, writer).load(), "no file, no leases");
        assertNull(save(new Dhcp6LeaseFile(file, writer), List.of(LEASE)));
        String json = Files.readString(file);
        assertTrue(json.contains("\"iaid\" : 4026531841") && json.contains("fd00:1::1a2b"), json);
        assertEquals(List.of(LEASE), new Dhcp6LeaseFile(file, writer).load());
    }

    @Test
    void aCorruptFileIsMovedAsideAndABadEntrySkipped() throws Exception {
        Path file = dir.resolve("leases6.json");
        Files.writeString(file, "{\"version\":1,\"leases\":[{\"duid\":\"zz\",\"iaid\":1,\"ip\":\"fd00::1\",\"mac\":"
                + "\"52:55:55:00:00:01\",\"expires\":\"2026-01-01T00:00:00Z\"}, {\"duid\":\"00:03:00:01:52:55:55:12:34:56\","
                + "\"iaid\":4026531841,\"ip\":\"fd00:1::1a2b\",\"mac\":\"52:55:55:12:34:56\","
                + "\"expires\":\"2026-01-01T01:00:00.250Z\"}]}");
        assertEquals(List.of(LEASE), new Dhcp6LeaseFile(file, writer).load(), "the bad DUID is skipped");
        Files.writeString(file, "{not json");
        assertEquals(List.of(), new Dhcp6LeaseFile(file, writer).load());
        try (Stream<Path> files = Files.list(dir)) {
            assertTrue(files.anyMatch(p -> p.getFileName().toString().startsWith("leases6.json.corrupt-")));
        }
    }
}
