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
}
