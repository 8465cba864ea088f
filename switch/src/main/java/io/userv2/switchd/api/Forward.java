package io.userv2.switchd.api;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * One exposed port forward as the API shows it: {@code {"local": "127.0.0.1:2222", "remote": "192.168.104.3:22",
 * "protocol": "tcp"}}, or for a host unix socket {@code {"local": "/run/x.sock", "remote": "tcp://192.168.104.3:8080",
 * "protocol": "unix"}} (gvproxy's forms).
 *
 * @param local the host address listened on, {@code IP:PORT} ({@code [IPv6]:PORT} for IPv6), or a unix socket's
 *     absolute path
 * @param remote the guest forwarded to, {@code HOST:PORT} ({@code tcp://HOST:PORT} for unix), HOST an IPv4 literal
 *     or a name of the gateway's DNS
 * @param protocol {@code tcp}, {@code udp} or {@code unix}
 */
public record Forward(@JsonProperty("local") String local, @JsonProperty("remote") String remote,
        @JsonProperty("protocol") String protocol) {
}
