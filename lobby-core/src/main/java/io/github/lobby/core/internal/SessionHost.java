package io.github.lobby.core.internal;

import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.function.BiFunction;
import org.apache.pekko.actor.Cancellable;

/**
 * What a session actor does for the plain classes that decide for it ({@link InboundFlow}, {@link
 * Credential}): acknowledge a client message, and send itself a message later or once a stage
 * completes. Tests implement it without an ActorSystem.
 */
interface SessionHost {

  /** Acknowledges one client message to the session's transport. */
  void acknowledge();

  /** Sends the session actor {@code message} after {@code delay}. */
  Cancellable scheduleOnce(Duration delay, SessionControl message);

  /**
   * Sends the session actor, once {@code stage} completes, what {@code adapt} makes of its value or
   * failure; {@code adapt} runs on the completing thread and must not touch the actor's state.
   */
  <T> void pipeToSelf(CompletionStage<T> stage, BiFunction<T, Throwable, SessionControl> adapt);
}
