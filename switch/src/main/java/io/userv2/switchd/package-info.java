/**
 * The userv2 daemon's wiring root: {@code Main} and {@link io.userv2.switchd.VirtualNetwork}, which connects the
 * parts that live in the subpackages by role: {@code config} (settings), {@code loop} (the event loop and its I/O
 * handlers), {@code port} and {@code transport} (the switch ports and the sockets VMs attach on), {@code switching}
 * (the learning switch), {@code nat}, {@code forward}, {@code services}, {@code security}, {@code api}, {@code cli},
 * {@code state}, {@code capture} and {@code logging}.
 */
package io.userv2.switchd;
