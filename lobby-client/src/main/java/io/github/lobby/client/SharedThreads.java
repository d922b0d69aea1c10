package io.github.lobby.client;

import java.net.http.HttpClient;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The threads every client shares: a cached pool of daemon threads that runs the clients' serial
 * executors (and the default listener executor), one timer thread that only hands its tasks to
 * them, and the HttpClient that clients without their own open their WebSockets with.
 */
final class SharedThreads {

  private static final AtomicInteger THREADS = new AtomicInteger();

  /** The daemon threads of every client's serial executors. */
  static final ExecutorService POOL =
      Executors.newCachedThreadPool(
          task -> {
            Thread thread = new Thread(task, "lobby-client-" + THREADS.incrementAndGet());
            thread.setDaemon(true);
            return thread;
          });

  private static final ScheduledThreadPoolExecutor TIMER = timer();
  private static volatile HttpClient sharedHttp;

  private SharedThreads() {}

  /** Runs the task on {@code loop} after the delay; the timer thread runs nothing of its own. */
  static ScheduledFuture<?> schedule(Executor loop, long delayMs, Runnable task) {
    return TIMER.schedule(() -> loop.execute(task), delayMs, TimeUnit.MILLISECONDS);
  }

  /** The HttpClient shared by the clients built without one, made on first use. */
  static HttpClient sharedHttp() {
    HttpClient client = sharedHttp;
    if (client == null) {
      synchronized (SharedThreads.class) {
        client = sharedHttp;
        if (client == null) {
          client = HttpClient.newBuilder().executor(POOL).build();
          sharedHttp = client;
        }
      }
    }
    return client;
  }

  /**
   * An HttpClient with this TLS context: the last one made when it was made for the same context
   * (so that clients built with one context share a selector thread), a new one otherwise. One
   * slot, so that an application that makes a context per client keeps nothing it dropped.
   */
  static HttpClient httpWith(javax.net.ssl.SSLContext context) {
    synchronized (SharedThreads.class) {
      HttpClient last = lastWithContext;
      if (last == null || last.sslContext() != context) {
        last = HttpClient.newBuilder().executor(POOL).sslContext(context).build();
        lastWithContext = last;
      }
      return last;
    }
  }

  private static HttpClient lastWithContext;

  private static ScheduledThreadPoolExecutor timer() {
    ScheduledThreadPoolExecutor timer =
        new ScheduledThreadPoolExecutor(
            1,
            task -> {
              Thread thread = new Thread(task, "lobby-client-timer");
              thread.setDaemon(true);
              return thread;
            });
    timer.setRemoveOnCancelPolicy(true);
    return timer;
  }
}
