/** Address translation for the gateway's NAT: which host address a guest destination maps to. */
package io.userv2.stack.nat;
