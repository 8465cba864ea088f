package io.userv2.switchd.api;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * One exposed port forward as the API shows it: {@code {"local": "127.0.0.1:2222", "remote": "192.168.104.3:22",
 * "protocol": "tcp"}}.
 *
 * @param local the host address listened on, {@code IP:PORT} ({@code [IPv6]:PORT} for IPv6)
 * @param remote the guest address forwarded to, {@code IPv4:PORT}
 * @param protocol {@code tcp} or {@code udp}
 */
public record Forward(@JsonProperty("local") String local, @JsonProperty("remote") String remote,
        @JsonProperty("protocol") String protocol) {
}
