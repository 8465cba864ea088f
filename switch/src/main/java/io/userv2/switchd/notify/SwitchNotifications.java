package io.userv2.switchd.notify;

import io.userv2.stack.wire.MacAddress;
import io.userv2.switchd.port.Port;
import io.userv2.switchd.switching.LearningSwitch;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * Tells a {@link NotificationSender} what gvproxy's switch tells it ({@code pkg/tap/switch.go}): a
 * {@code connection_established} event with the MAC address the first time a MAC is seen on a VM port, and a
 * {@code connection_closed} event for each of those MACs when the port closes. A MAC that ages out of the switch's
 * table and comes back on the same port is not announced again (gvproxy's table never ages); one that moves to
 * another port is announced there. Loop thread only.
 */
public final class SwitchNotifications {
    private final NotificationSender sender;
    /** MACs announced, by the id of the port they were announced on. */
    private final Map<Integer, Set<Long>> announced = new HashMap<>();

    private SwitchNotifications(NotificationSender sender) {
        this.sender = sender;
    }

    /** Hooks {@code sender} to {@code sw}'s learning and detaching; call on the loop thread (or before it runs). */
    public static SwitchNotifications attach(LearningSwitch sw, NotificationSender sender) {
        SwitchNotifications n = new SwitchNotifications(sender);
        sw.onLearned(n::learned);
        sw.onDetach(n::detached);
        return n;
    }

    private void learned(Port port, long mac) {
        for (Map.Entry<Integer, Set<Long>> e : announced.entrySet()) {
            if (e.getKey() != port.id()) {
                e.getValue().remove(mac); // moved: it belongs to its new port now
            }
        }
        if (announced.computeIfAbsent(port.id(), id -> new LinkedHashSet<>()).add(mac)) {
            sender.send(NotificationSender.CONNECTION_ESTABLISHED, MacAddress.format(mac));
        }
    }

    private void detached(Port port) {
        Set<Long> macs = announced.remove(port.id());
        if (macs != null) {
            for (long mac : macs) {
                sender.send(NotificationSender.CONNECTION_CLOSED, MacAddress.format(mac));
            }
        }
    }
}
