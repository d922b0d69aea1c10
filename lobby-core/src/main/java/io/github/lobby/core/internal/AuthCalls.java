package io.github.lobby.core.internal;

import io.github.lobby.core.auth.AuthResult;
import io.github.lobby.core.auth.Authenticator;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Calls into an {@link Authenticator} as the server makes them, whoever implemented it: a call that
 * throws or returns a null stage fails the result instead of the caller, and a stage that never
 * completes fails it after a bound. The upgrade (lobby-http) and the session's refresh both call
 * through here.
 */
public final class AuthCalls {

  private AuthCalls() {}

  /**
   * Runs {@code call} and completes with its result, or exceptionally when it threw, returned a
   * null stage, failed, or did not complete within {@code timeout} ({@link
   * java.util.concurrent.TimeoutException}). A null result completes with null.
   */
  public static CompletableFuture<AuthResult> bounded(
      Supplier<CompletionStage<AuthResult>> call, Duration timeout) {
    CompletableFuture<AuthResult> decided = new CompletableFuture<>();
    try {
      CompletionStage<AuthResult> stage = call.get();
      if (stage == null) {
        decided.completeExceptionally(new IllegalStateException("the authenticator returned null"));
      } else {
        stage.whenComplete(
            (result, failure) -> {
              if (failure != null) {
                decided.completeExceptionally(failure);
              } else {
                decided.complete(result);
              }
            });
      }
    } catch (RuntimeException e) {
      decided.completeExceptionally(e);
    }
    return decided.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }
}
