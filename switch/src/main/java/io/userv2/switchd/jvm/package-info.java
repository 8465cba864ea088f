/** What the daemon asks of the JVM it runs in: diagnostic commands. */
package io.userv2.switchd.jvm;
