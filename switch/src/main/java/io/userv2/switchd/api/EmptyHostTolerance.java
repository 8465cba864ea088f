package io.userv2.switchd.api;

import org.eclipse.jetty.http.HostPortHttpField;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.internal.HttpConnection;

/**
 * HTTP/1.1 as Jetty serves it, except that a request with an empty {@code Host} is taken as addressed to the
 * configured server authority instead of being refused (Jetty answers 400 "Blank Host").
 *
 * <p>RFC 9112 section 3.2: "If the authority component is missing or undefined for the target URI, then a client
 * MUST send a Host header field with an empty field-value." A unix socket has no authority, and gvproxy's tunnel
 * client ({@code pkg/transport/tunnel.go}: Go's {@code Request.Write} of a request made from the bare path
 * {@code /tunnel?ip=..&port=..}) sends exactly {@code Host: } with nothing after it. A Host with a value, or none at
 * all, is handled by Jetty as before.
 */
final class EmptyHostTolerance extends HttpConnectionFactory {
    EmptyHostTolerance(HttpConfiguration config) {
        super(config);
    }

    @Override
    public Connection newConnection(Connector connector, EndPoint endPoint) {
        HttpConnection connection = new Tolerant(getHttpConfiguration(), connector, endPoint);
        connection.setTransferEncodingChunkMaxLength(getTransferEncodingChunkMaxLength());
        return configure(connection, connector, endPoint);
    }

    /** Jetty's HTTP/1.1 connection, whose parser hands an empty Host on as the configured authority. */
    private static final class Tolerant extends HttpConnection {
        Tolerant(HttpConfiguration config, Connector connector, EndPoint endPoint) {
            super(config, connector, endPoint);
        }

        @Override
        protected RequestHandler newRequestHandler() {
            return new RequestHandler() {
                @Override
                public void parsedHeader(HttpField field) {
                    if (field.getHeader() == HttpHeader.HOST && field.getValue().isBlank()) {
                        super.parsedHeader(new HostPortHttpField(getHttpConfiguration().getServerAuthority()));
                    } else {
                        super.parsedHeader(field);
                    }
                }
            };
        }
    }
}
