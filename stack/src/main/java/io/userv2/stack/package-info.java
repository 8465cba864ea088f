/** The sans-IO protocol engine of userv2: wire codecs and protocol state machines, free of threads, sockets and clocks. */
package io.userv2.stack;
