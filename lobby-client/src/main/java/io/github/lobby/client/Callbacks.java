package io.github.lobby.client;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * Where the listener's methods and the completions of the client's stages run: on the builder's
 * executor, through a serial executor, so one at a time and in the order the client's serial
 * executor gave them. A listener method that throws is logged and otherwise ignored.
 */
final class Callbacks implements Executor {

  private final SerialExecutor serial;
  private final LobbyClient.Listener listener;

  Callbacks(Executor executor, LobbyClient.Listener listener) {
    this.serial = new SerialExecutor(executor);
    this.listener = listener;
  }

  @Override
  public void execute(Runnable task) {
    serial.execute(task);
  }

  /** Gives an event to one of the listener's methods. */
  <T> void dispatch(Consumer<T> method, T event) {
    serial.execute(() -> guarded(() -> method.accept(event)));
  }

  /** Tells the listener that an attempt ended or a connection was lost. */
  void disconnected(int code, String reason) {
    serial.execute(() -> guarded(() -> listener.onDisconnected(code, reason)));
  }

  <T> void complete(CompletableFuture<T> future, T value) {
    serial.execute(() -> future.complete(value));
  }

  <T> void fail(CompletableFuture<T> future, Throwable error) {
    serial.execute(() -> future.completeExceptionally(error));
  }

  private static void guarded(Runnable call) {
    try {
      call.run();
    } catch (RuntimeException e) {
      LobbyClient.LOG.log(System.Logger.Level.WARNING, "a Lobby client listener failed", e);
    }
  }
}
