package io.userv2.switchd.config;

import io.userv2.switchd.forward.ForwardSpec;
import java.nio.file.Path;
import java.util.List;

/**
 * Port forwards from the host into guests.
 *
 * @param forwards started at start-up ({@code --forward})
 * @param stateFile where forwards added at run time are kept across restarts ({@code --state-dir}), or null
 */
public record ForwardSettings(List<ForwardSpec> forwards, Path stateFile) {
    /** No forwards, nothing kept. */
    public static final ForwardSettings NONE = new ForwardSettings(List.of(), null);

    /** Copies the list. */
    public ForwardSettings {
        forwards = List.copyOf(forwards);
    }
}
