/**
 * The daemon's HTTP API on a unix socket ({@code --api PATH}): the calls Lima and gvproxy clients make
 * (DHCP leases, port forwards, DNS zones, stats, wait_port) plus Prometheus metrics.
 *
 * <p>{@link io.userv2.switchd.api.ApiServer} serves it with Jetty on a {@code 0600} socket file;
 * {@link io.userv2.switchd.api.ControlPlane} is the only view the API has of the running switch. Every input is
 * validated here (IP literals without name lookups, ports, protocols) before the control plane sees it, and every
 * failure answers a 4xx/5xx status with a one-line plain-text message.
 */
package io.userv2.switchd.api;
