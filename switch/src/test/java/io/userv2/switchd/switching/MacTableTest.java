package io.userv2.switchd.switching;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class MacTableTest {
    @Test
    void behavesLikeAMapUnderRandomLearnExpireAndForget() {
        Random random = new Random(42);
        MacTable table = new MacTable(512, 512);
        RecordingPort[] ports = {new RecordingPort("p0"), new RecordingPort("p1"), new RecordingPort("p2")};
        Map<Long, RecordingPort> model = new HashMap<>();
        Map<Long, Long> seen = new HashMap<>();
        for (int step = 0; step < 20_000; step++) {
            long mac = 0x525555000000L | random.nextInt(600); // more keys than fit: exercises the bound
            RecordingPort p = ports[random.nextInt(ports.length)];
            int op = random.nextInt(100);
            if (op < 80) {
                table.learn(mac, p, step);
                if (model.containsKey(mac) || model.size() < 512) {
                    model.put(mac, p);
                    seen.put(mac, (long) step);
                }
            } else if (op < 95) {
                long cutoff = step - 300;
                table.expire(cutoff);
                seen.entrySet().removeIf(e -> {
                    boolean old = e.getValue() < cutoff;
                    if (old) {
                        model.remove(e.getKey());
                    }
                    return old;
                });
            } else {
                table.forget(p);
                model.values().removeIf(v -> v == p);
                seen.keySet().retainAll(model.keySet());
            }
            assertEquals(model.size(), table.size(), "size at step " + step);
            long probe = 0x525555000000L | random.nextInt(600);
            RecordingPort expected = model.get(probe);
            if (expected == null) {
                assertNull(table.lookup(probe), "step " + step);
            } else {
                assertSame(expected, table.lookup(probe), "step " + step);
            }
        }
    }

    @Test
    void aPortAtItsCapCannotPushAnotherPortsEntriesOut() {
        MacTable table = new MacTable(64, 8);
        RecordingPort victim = new RecordingPort("victim");
        RecordingPort flooder = new RecordingPort("flooder");
        for (int i = 0; i < 8; i++) {
            assertEquals(MacTable.LEARNED, table.learn(0x525555000100L + i, victim, 0));
        }
        int refused = 0;
        for (int i = 0; i < 10_000; i++) {
            int r = table.learn(0x020000000000L + i, flooder, i);
            if (r == MacTable.REFUSED_PORT_FULL) {
                refused++;
            }
        }
        assertEquals(10_000 - 8, refused);
        assertEquals(8, flooder.macEntries());
        for (int i = 0; i < 8; i++) {
            assertSame(victim, table.lookup(0x525555000100L + i));
        }
        assertEquals(MacTable.REFUSED_PORT_FULL, table.learn(0x525555000100L, flooder, 1), "no move onto a full port");
        assertSame(victim, table.lookup(0x525555000100L));
        table.forget(flooder);
        assertEquals(0, flooder.macEntries());
        assertEquals(8, table.size());
    }

    @Test
    void aFullTableRefusesWithoutEvicting() {
        MacTable table = new MacTable(4, 4);
        RecordingPort p = new RecordingPort("p");
        RecordingPort q = new RecordingPort("q");
        for (int i = 0; i < 4; i++) {
            table.learn(0x525555000000L + i, p, 0);
        }
        assertEquals(MacTable.REFUSED_TABLE_FULL, table.learn(0x525555000009L, q, 0));
        assertEquals(4, table.size());
        assertEquals(0, q.macEntries());
    }

    @Test
    void aPinnedEntryNeverMovesNorAges() {
        MacTable table = new MacTable(16, 16);
        RecordingPort gateway = new RecordingPort("gateway");
        RecordingPort vm = new RecordingPort("vm");
        table.pin(0x5a94efe40cddL, gateway);
        assertEquals(MacTable.REFUSED_PINNED, table.learn(0x5a94efe40cddL, vm, 5));
        assertEquals(0, table.expire(Long.MAX_VALUE));
        assertSame(gateway, table.lookup(0x5a94efe40cddL));
        assertEquals(0, vm.macEntries());
        assertEquals(0, gateway.macEntries(), "pinned entries are not counted against the port's cap");
    }
}
