package io.userv2.switchd;

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
}
