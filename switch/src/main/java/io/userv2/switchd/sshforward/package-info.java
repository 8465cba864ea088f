/**
 * Unix sockets forwarded into the guest over SSH, as gvproxy's {@code -forward-sock/-forward-dest/-forward-user/
 * -forward-identity} flags do for {@code podman machine}: {@link io.userv2.switchd.sshforward.UnixSocketSshForward}
 * listens on a host socket and carries each connection to a unix socket in the guest through the guest's own sshd
 * ({@code direct-streamlocal@openssh.com}), with Apache MINA SSHD as the SSH client;
 * {@link io.userv2.switchd.sshforward.SshForwardSettings} checks the flags.
 */
package io.userv2.switchd.sshforward;
