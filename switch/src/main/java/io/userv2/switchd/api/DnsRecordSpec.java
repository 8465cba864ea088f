package io.userv2.switchd.api;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * One name of a DNS zone, as gvproxy's API spells it: {@code {"Name": "lima-foo", "IP": "192.168.104.3"}}.
 *
 * @param name the name relative to its zone ({@code lima-foo} in zone {@code internal.})
 * @param ip the address it resolves to, an IPv4 or IPv6 literal
 */
public record DnsRecordSpec(@JsonProperty("Name") String name, @JsonProperty("IP") String ip) {
}
