/**
 * The start-up self-exercise of the forwarding path: a private, invisible copy of the network that a built-in guest
 * sends TCP through, to a loopback server and back, so that the JIT has compiled the path before a VM's first
 * transfer.
 */
package io.userv2.switchd.warmup;
