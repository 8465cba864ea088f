/** JMH benchmarks for userv2. */
package io.userv2.bench;
