package io.userv2.switchd.jvm;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.ManagementFactory;
import java.lang.reflect.Method;

/**
 * Runs HotSpot diagnostic commands (what {@code jcmd PID COMMAND} runs) from inside the process, through the
 * diagnostic command implementation, which the jar's manifest opens ({@code Add-Opens}); without that, or on a JVM
 * without the command, {@link #execute} returns null. Thread-safe.
 */
public final class DiagnosticCommands {
    private static Object mbean;
    private static Method execute;
    private static boolean unavailable;

    private DiagnosticCommands() {
    }

    /** Runs {@code command} (e.g. {@code System.trim_native_heap}); returns its output, or null when it cannot run. */
    public static synchronized String execute(String command) {
        if (unavailable) {
            return null;
        }
        try {
            if (execute == null) {
                // looking up a platform bean loads the native library the implementation needs
                ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
                Class<?> impl = Class.forName("com.sun.management.internal.DiagnosticCommandImpl");
                Method get = impl.getDeclaredMethod("getDiagnosticCommandMBean");
                get.setAccessible(true);
                Method exec = impl.getDeclaredMethod("executeDiagnosticCommand", String.class);
                exec.setAccessible(true);
                mbean = get.invoke(null);
                execute = exec;
            }
            return String.valueOf(execute.invoke(mbean, command));
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            unavailable = true;
            return null;
        }
    }
}
