package io.userv2.switchd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.userv2.stack.nat.Nat64Prefix;
import io.userv2.switchd.config.NatSettings;
import picocli.CommandLine;
import org.junit.jupiter.api.Test;

/** {@code --nat64} and {@code --nat64-prefix} as picocli parses them and {@link Main} turns them into settings. */
class MainNat64OptionsTest {
    static NatSettings settings(String... args) {
        Main main = new Main();
        new CommandLine(main).parseArgs(args);
        return main.natSettings(true);
    }

    @Test
    void offByDefault() {
        assertNull(settings().nat64());
        assertNull(NatSettings.DEFAULT.nat64());
    }

    @Test
    void theFlagTurnsOnTheWellKnownPrefixAndAPrefixImpliesTheFlag() {
        assertEquals(Nat64Prefix.WELL_KNOWN, settings("--nat64").nat64());
        assertEquals(Nat64Prefix.parse("2001:db8:64::/96"), settings("--nat64-prefix", "2001:db8:64::/96").nat64());
        assertEquals(Nat64Prefix.parse("2001:db8::/32"),
                settings("--nat64", "--nat64-prefix", "2001:db8::/32").nat64());
    }

    @Test
    void aBadPrefixIsAClearError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> settings("--nat64-prefix", "64:ff9b::/80"));
        assertTrue(e.getMessage().contains("RFC 6052"), e.getMessage());
    }

    @Test
    void theUsageNamesBothOptions() {
        String usage = new CommandLine(new Main()).getUsageMessage(CommandLine.Help.Ansi.OFF);
        assertTrue(usage.contains("--nat64") && usage.contains("--nat64-prefix"), usage);
    }
}
