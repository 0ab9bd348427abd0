package org.vlalign.llm.internal;

import com.google.common.base.Preconditions;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A fixed team of threads that splits index ranges between them, built for the many short parallel
 * steps of decoding (a 7B token is about 200 of them, each well under a millisecond).
 *
 * <p>The calling thread works as member 0; the others wait by spinning briefly and then parking, so a
 * step starts within microseconds while decoding and costs no CPU when idle. One range runs at a time:
 * calls from several threads take turns (they would compete for the same cores anyway). A failure in
 * any member is rethrown to the caller after every member has finished the step.
 *
 * <p>Thread-safe. {@link #close} stops the threads; it must not race a running {@link #forRange}.
 */
public final class Parallel implements AutoCloseable {

    /** A task over a sub-range. */
    @FunctionalInterface
    public interface RangeTask {
        /**
         * Processes {@code [lo, hi)}.
         *
         * @param lo first index
         * @param hi index after the last
         * @param member which member runs it, {@code 0 ≤ member < threads()}: index per-thread scratch by it
         */
        void run(int lo, int hi, int member);
    }

    /** Spins before a waiting member parks: roughly a few hundred microseconds. */
    private static final int SPINS = 1 << 14;

    private final int threads;
    private final Thread[] members;
    private final ReentrantLock turn = new ReentrantLock();
    private final AtomicInteger pending = new AtomicInteger();
    private final boolean[] parked; // written by each member, read by the caller around full fences
    private volatile int generation;
    private volatile boolean closed;
    private volatile Throwable failure;
    // the current step, published by the volatile write of generation
    private RangeTask task;
    private int total;
    private int grain;

    /**
     * Starts a team.
     *
     * @param threads the members, the caller included; at least 1
     */
    public Parallel(int threads) {
        Preconditions.checkArgument(threads >= 1, "threads must be at least 1 but is %s", threads);
        this.threads = threads;
        this.members = new Thread[threads - 1];
        this.parked = new boolean[threads];
        for (int i = 1; i < threads; i++) {
            int member = i;
            Thread t = new Thread(() -> loop(member), "vlalign-llm-" + i);
            t.setDaemon(true);
            members[i - 1] = t;
            t.start();
        }
    }

    /**
     * The number of members, the caller included.
     *
     * @return threads
     */
    public int threads() {
        return threads;
    }

    /**
     * Runs {@code task} over {@code [0, n)}, split into one contiguous piece per member with piece
     * boundaries on multiples of {@code grain}; returns when every piece is done.
     *
     * @param n the range's size
     * @param grain piece boundaries fall on multiples of this (use 1 when any split works)
     * @param task the task
     */
    public void forRange(int n, int grain, RangeTask task) {
        if (n <= 0) {
            return;
        }
        if (threads == 1 || n <= grain) {
            task.run(0, n, 0);
            return;
        }
        Preconditions.checkState(!closed, "the thread team is closed");
        turn.lock();
        try {
            this.task = task;
            this.total = n;
            this.grain = Math.max(1, grain);
            this.failure = null;
            pending.set(threads - 1);
            generation++; // publishes the step
            VarHandle.fullFence(); // orders the write above before reading parked[] (pairs with the member's fence)
            for (int i = 1; i < threads; i++) {
                if (parked[i]) {
                    LockSupport.unpark(members[i - 1]);
                }
            }
            Throwable own = null;
            try {
                runPiece(0);
            } catch (Throwable t) {
                own = t;
            }
            while (pending.get() != 0) {
                Thread.onSpinWait();
            }
            Throwable f = own != null ? own : failure;
            if (f != null) {
                if (f instanceof RuntimeException re) {
                    throw re;
                }
                if (f instanceof Error e) {
                    throw e;
                }
                throw new IllegalStateException(f);
            }
        } finally {
            this.task = null;
            turn.unlock();
        }
    }

    private void runPiece(int member) {
        int pieces = threads;
        int units = (total + grain - 1) / grain;
        int per = (units + pieces - 1) / pieces;
        int lo = Math.min(total, member * per * grain);
        int hi = Math.min(total, (member + 1) * per * grain);
        if (lo < hi) {
            task.run(lo, hi, member);
        }
    }

    private void loop(int member) {
        int seen = 0;
        while (true) {
            int g;
            int spins = 0;
            while ((g = generation) == seen) {
                if (closed) {
                    return;
                }
                if (++spins < SPINS) {
                    Thread.onSpinWait();
                } else {
                    parked[member] = true;
                    VarHandle.fullFence(); // orders the write above before re-reading generation
                    if (generation == seen && !closed) {
                        LockSupport.parkNanos(this, 50_000_000L);
                    }
                    parked[member] = false;
                    spins = 0;
                }
            }
            seen = g;
            try {
                runPiece(member);
            } catch (Throwable t) {
                failure = t;
            } finally {
                pending.decrementAndGet();
            }
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            for (Thread t : members) {
                LockSupport.unpark(t);
            }
        }
    }
}
