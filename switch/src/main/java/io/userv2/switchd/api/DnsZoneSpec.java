package io.userv2.switchd.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * A DNS zone, as gvproxy's API spells it:
 * {@code {"Name": "internal.", "Records": [{"Name": "lima-foo", "IP": "192.168.104.3"}], "DefaultIP": null}}.
 *
 * @param name the zone's name, e.g. {@code internal.}
 * @param records its names (never null once validated by the API; may be empty)
 * @param defaultIp the address answered for any other name in the zone, or null for none
 */
public record DnsZoneSpec(@JsonProperty("Name") String name, @JsonProperty("Records") List<DnsRecordSpec> records,
        @JsonProperty("DefaultIP") String defaultIp) {
}
