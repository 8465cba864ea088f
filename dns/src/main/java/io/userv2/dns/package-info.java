/** The DNS service at the gateway. */
package io.userv2.dns;
