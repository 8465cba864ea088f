package io.userv2.stack.nat;

/**
 * Hears about the engine's exceptional events so its owner can log them (the engine itself never logs or reads a
 * clock). Called on the engine's thread; must not throw.
 */
public interface NatObserver {
    /** An observer that ignores everything. */
    NatObserver NONE = (flow, failure) -> { };

    /**
     * A bug or unexpected failure while working for one flow: the engine has aborted that flow (RST to the guest,
     * the host socket closed) and goes on with every other. {@code flow} names it for the log.
     */
    void flowFailed(String flow, Throwable failure);

    /**
     * Switch port {@code owner} was refused a new {@code kind} at its cap of {@code cap} ({@code refused} refusals so
     * far); called at most once per port every 10 s, so a log line per call names the port without flooding.
     */
    default void portAtCap(int owner, OwnerQuotas.Kind kind, int cap, long refused) {
    }
}
