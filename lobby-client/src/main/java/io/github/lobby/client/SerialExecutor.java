package io.github.lobby.client;

import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * Runs its tasks one at a time, in the order they were given, on the threads of another
 * executor. It keeps no thread of its own, so that many clients (a load tool's thousands) share
 * the few threads of one pool while each client's tasks still never run at the same time.
 */
final class SerialExecutor implements Executor {

  private static final int BATCH = 64;

  private final Executor delegate;
  private final ArrayDeque<Runnable> tasks = new ArrayDeque<>();
  private boolean running;

  SerialExecutor(Executor delegate) {
    this.delegate = delegate;
  }

  @Override
  public void execute(Runnable task) {
    synchronized (tasks) {
      tasks.add(task);
      if (running) {
        return;
      }
      running = true;
    }
    submitDrain();
  }

  private void submitDrain() {
    try {
      delegate.execute(this::drain);
    } catch (RejectedExecutionException e) {
      // An application's executor that was shut down: what it would have run is dropped, as
      // everything given to it later would be.
      synchronized (tasks) {
        tasks.clear();
        running = false;
      }
      LobbyClient.LOG.log(System.Logger.Level.WARNING, "the executor refused a task", e);
    }
  }

  /**
   * Runs tasks until none is left, a task given meanwhile included, but at most {@value #BATCH}
   * at a time: then it gives its thread back and queues itself again, so that one busy client
   * does not hold a shared thread that others wait for.
   */
  private void drain() {
    for (int i = 0; ; i++) {
      Runnable task;
      synchronized (tasks) {
        if (i == BATCH) {
          break;
        }
        task = tasks.poll();
        if (task == null) {
          running = false;
          return;
        }
      }
      try {
        task.run();
      } catch (RuntimeException | Error e) {
        LobbyClient.LOG.log(System.Logger.Level.WARNING, "a task of the Lobby client failed", e);
      }
    }
    submitDrain();
  }
}
