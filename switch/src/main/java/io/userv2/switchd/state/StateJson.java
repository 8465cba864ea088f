package io.userv2.switchd.state;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

/**
 * The JSON mapper the state files share, made on first use: building an {@link ObjectMapper} loads about 370 of
 * Jackson's classes (3-4 MB of metaspace and heap), which a switch that has leased nothing and stored no forward
 * never needs. Thread-safe (a configured mapper is).
 */
final class StateJson {
    private StateJson() {
    }

    /** The mapper (indented output, so the files stay readable). */
    static ObjectMapper mapper() {
        return Holder.MAPPER;
    }

    private static final class Holder {
        static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    }
}
