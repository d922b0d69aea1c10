package io.github.lobby.examples;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.parameterOptional;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.redirect;
import static org.apache.pekko.http.javadsl.server.Directives.respondWithHeader;

import com.typesafe.config.Config;
import io.github.lobby.core.Lobby;
import io.github.lobby.core.RoomId;
import io.github.lobby.core.auth.Principal;
import io.github.lobby.http.HttpSettings;
import io.github.lobby.http.LobbyServer;
import io.github.lobby.http.codec.AdminJson;
import io.github.lobby.http.codec.WireJson;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.Uri;
import org.apache.pekko.http.javadsl.model.headers.HttpCookie;
import org.apache.pekko.http.javadsl.model.headers.SameSite;
import org.apache.pekko.http.javadsl.model.headers.SetCookie;
import org.apache.pekko.http.javadsl.server.Route;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An application that embeds Lobby: its own ActorSystem, its own routes ({@code GET /hello}, and
 * {@code GET /sign-in} standing in for its sign-in) served next to the Lobby's, its own sessions
 * deciding who may join ({@link SessionCookieAuthenticator}), and its own actor ({@link
 * StatisticsPublisher}) pushing the daily statistics to the {@code dailyNews} room every few
 * seconds, without going through HTTP.
 *
 * <p>Run it with {@code java -cp examples/target/lobby-example-server.jar
 * io.github.lobby.examples.EmbeddedExample}, then open {@code
 * http://127.0.0.1:8081/sign-in?user=alice}: it signs the browser in as {@code alice} and opens
 * the page in {@code dailyNews} (the browser client comes along as one more route of this
 * application). Without signing in, the page cannot join (401).
 */
public final class EmbeddedExample {

  private static final Logger log = LoggerFactory.getLogger(EmbeddedExample.class);

  /** How often the statistics are pushed. */
  public static final Duration EVERY = Duration.ofSeconds(3);

  private EmbeddedExample() {}

  public static void main(String[] args) {
    ActorSystem.create(application(EVERY, new CompletableFuture<>()), "my-app");
  }

  /** What the guardian is told once the server is up, or could not start. */
  record Started(LobbyServer server, Throwable error) {}

  /**
   * The application's guardian: starts the Lobby server with the application's routes, then
   * spawns the statistics publisher next to it.
   *
   * @param every how often statistics are pushed
   * @param started completed with the running server (for callers that want its address)
   */
  public static Behavior<Started> application(
      Duration every, CompletableFuture<LobbyServer> started) {
    return Behaviors.setup(
        context -> {
          // README:begin guardian
          ActorSystem<Void> system = context.getSystem();
          Config config = system.settings().config();
          RoomId room = new RoomId(HttpSettings.fromConfig(config).statisticsRoom());
          // The application's own sessions: the value of its session cookie -> user id.
          Map<String, String> sessions = new ConcurrentHashMap<>();
          Route own =
              concat(
                  path(
                      "hello",
                      () -> get(() -> complete("Hello from the application around Lobby\n"))),
                  path("sign-in", () -> get(() -> signIn(sessions, room))),
                  WebClient.route(config));
          context.pipeToSelf(
              LobbyServer.builder(system)
                  .routes(own)
                  .authenticator(new SessionCookieAuthenticator(sessions))
                  .start(),
              Started::new);
          return Behaviors.receive(Started.class)
              .onMessage(
                  Started.class,
                  s -> {
                    if (s.error() != null) {
                      log.error("Could not start: {}", s.error().getMessage());
                      started.completeExceptionally(s.error());
                      return Behaviors.stopped();
                    }
                    // Publish, look rooms up, read counts: what an application may send.
                    ActorRef<Lobby.AdminCommand> lobby = s.server().lobby();
                    context.spawn(StatisticsPublisher.create(lobby, room, every), "statistics");
                    started.complete(s.server());
                    return Behaviors.empty();
                  })
              .build();
          // README:end
        });
  }

  /**
   * {@code GET /sign-in?user=<name>}, a stand-in for the application's real sign-in (a password
   * form, an identity provider): opens a session of the user, sets its cookie ({@code HttpOnly},
   * {@code SameSite=Strict}) and sends the browser to the page, in {@code room}.
   */
  static Route signIn(Map<String, String> sessions, RoomId room) {
    return parameterOptional(
        "user",
        user -> {
          if (user.isEmpty()
              || user.get().isBlank()
              || user.get().length() > Principal.MAX_USER_LENGTH) {
            return complete(
                HttpResponse.create()
                    .withStatus(StatusCodes.BAD_REQUEST)
                    .withEntity(
                        HttpEntities.create(
                            ContentTypes.APPLICATION_JSON,
                            WireJson.write(
                                new AdminJson.ErrorBody(
                                    "bad_request", "sign in with ?user=<1 to 256 characters>")))));
          }
          String id = UUID.randomUUID().toString(); // 122 bits from SecureRandom
          sessions.put(id, user.get());
          HttpCookie cookie =
              HttpCookie.create(SessionCookieAuthenticator.COOKIE, id)
                  .withPath("/")
                  .withHttpOnly(true)
                  .withSameSite(SameSite.Strict);
          return respondWithHeader(
              SetCookie.create(cookie),
              () -> redirect(Uri.create("/#" + room.value()), StatusCodes.SEE_OTHER));
        });
  }
}
