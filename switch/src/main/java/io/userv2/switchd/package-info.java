/** The userv2 daemon: transports, the learning switch, the event loop and main. */
package io.userv2.switchd;
