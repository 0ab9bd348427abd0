package org.vlalign.llm.internal;

import com.google.common.base.Preconditions;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import org.vlalign.Checks;

/**
 * A fixed team of threads that splits index ranges between them, built for the many short parallel
 * steps of decoding (a 7B token is about 200 of them, each well under a millisecond).
 *
 * <p>The calling thread works as member 0; the others wait by spinning briefly and then parking, so a
 * step starts within microseconds while decoding and costs no CPU when idle. A range is cut into a few
 * pieces per member and members claim pieces as they go, so a member the operating system does not
 * schedule (a loaded machine) delays nothing: the others take its pieces. One range runs at a time:
 * calls from several threads take turns (they would compete for the same cores anyway). A failure in
 * any member is rethrown to the caller after every claimed piece has finished.
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

    /** Pieces per member: enough for the others to absorb a member that is not scheduled. */
    private static final int PIECES_PER_MEMBER = 4;
    /** Spins before a waiting thread parks or yields: roughly a few hundred microseconds. */
    private static final int SPINS = 1 << 14;

    /** One call of {@link #forRange}: immutable but for its counters, so a late member cannot mix two calls. */
    private static final class Step {
        final RangeTask task;
        final int total;
        final int pieceSize;
        final int pieces;
        final AtomicInteger next = new AtomicInteger(); // the next unclaimed piece
        final AtomicInteger done = new AtomicInteger(); // finished pieces
        volatile Throwable failure;

        Step(RangeTask task, int total, int pieceSize) {
            this.task = task;
            this.total = total;
            this.pieceSize = pieceSize;
            this.pieces = (total + pieceSize - 1) / pieceSize;
        }

        /** Claims and runs pieces until none is left. */
        void work(int member) {
            int p;
            while ((p = next.getAndIncrement()) < pieces) {
                try {
                    int lo = p * pieceSize;
                    task.run(lo, Math.min(total, lo + pieceSize), member);
                } catch (Throwable t) {
                    failure = t;
                } finally {
                    done.incrementAndGet();
                }
            }
        }
    }

    private final int threads;
    private final Thread[] members;
    private final boolean[] parked; // written by each member, read by the caller around full fences
    private final ReentrantLock turn = new ReentrantLock();
    private volatile Step current;
    private volatile boolean closed;

    /**
     * Starts a team.
     *
     * @param threads the members, the caller included; at least 1
     */
    public Parallel(int threads) {
        Checks.checkArgument(threads >= 1, "threads must be at least 1 but is %s", threads);
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
     * Runs {@code task} over {@code [0, n)}, split into contiguous pieces (a few per member) whose
     * boundaries fall on multiples of {@code grain}; returns when every piece is done.
     *
     * @param n the range's size
     * @param grain piece boundaries fall on multiples of this (use 1 when any split works)
     * @param task the task
     */
    public void forRange(int n, int grain, RangeTask task) {
        if (n <= 0) {
            return;
        }
        int g = Math.max(1, grain);
        if (threads == 1 || n <= g) {
            task.run(0, n, 0);
            return;
        }
        Preconditions.checkState(!closed, "the thread team is closed");
        turn.lock();
        try {
            int units = (n + g - 1) / g;
            Step step = new Step(task, n, Math.max(1, units / (PIECES_PER_MEMBER * threads)) * g);
            current = step; // publishes the step
            VarHandle.fullFence(); // orders the write above before reading parked[] (pairs with the member's fence)
            for (int i = 1; i < threads; i++) {
                if (parked[i]) {
                    LockSupport.unpark(members[i - 1]);
                }
            }
            step.work(0);
            int spins = 0;
            while (step.done.get() != step.pieces) {
                if (++spins < SPINS) {
                    Thread.onSpinWait();
                } else {
                    Thread.yield(); // the member holding the last piece is not running: give it the core
                }
            }
            Throwable f = step.failure;
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
            turn.unlock();
        }
    }

    private void loop(int member) {
        Step seen = null;
        while (true) {
            Step step;
            int spins = 0;
            while ((step = current) == seen) {
                if (closed) {
                    return;
                }
                if (++spins < SPINS) {
                    Thread.onSpinWait();
                } else {
                    parked[member] = true;
                    VarHandle.fullFence(); // orders the write above before re-reading current
                    if (current == seen && !closed) {
                        LockSupport.parkNanos(this, 50_000_000L);
                    }
                    parked[member] = false;
                    spins = 0;
                }
            }
            seen = step;
            step.work(member);
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
