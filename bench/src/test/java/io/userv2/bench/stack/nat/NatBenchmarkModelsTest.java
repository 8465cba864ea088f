package io.userv2.bench.stack.nat;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The NAT TCP path benchmark's set-up, a few operations and its tear-down checks, run once each without JMH: it
 * models a guest against the real engine, and a change to the engine that breaks that model (the TCP options the
 * gateway takes up, say) fails the build here instead of the next JMH run. No timing is measured.
 */
class NatBenchmarkModelsTest {
    @ParameterizedTest
    @ValueSource(ints = {4, 6})
    void theUploadModelEstablishesAndEveryByteReachesTheHost(int family) {
        NatTcpPathBenchmark.Upload u = new NatTcpPathBenchmark.Upload();
        u.family = family;
        u.establish();
        for (int i = 0; i < 100; i++) {
            u.upload();
        }
        assertEquals(100L * u.segment, u.bytesToHost);
        u.tearDown(); // its check throws if frames or bytes went astray
    }

    @ParameterizedTest
    @CsvSource({"4, false", "6, false", "4, true", "6, true"})
    void theDownloadModelReachesItsSteadyState(int family, boolean inPlace) {
        NatTcpPathBenchmark.Download d = new NatTcpPathBenchmark.Download();
        d.family = family;
        d.inPlace = inPlace; // frames built in the sink's room, or in buffers of the gateway's own
        d.establish(); // runs the connection out of slow start, or throws
        long before = d.dataFramesOut;
        for (int i = 0; i < 10; i++) {
            d.download();
        }
        assertEquals(before + 10L * NatTcpPathBenchmark.SEND_SEGMENTS, d.dataFramesOut);
        d.tearDown();
    }
}
