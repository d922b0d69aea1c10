package io.github.lobby.http.internal.lean;

import io.github.lobby.core.Mode;
import io.github.lobby.core.auth.AuthResult;
import io.github.lobby.core.auth.Authenticated;
import io.github.lobby.core.auth.Authenticator;
import io.github.lobby.http.internal.routes.RoomRoutes;
import io.github.lobby.http.internal.routes.UpgradeAuth;
import io.github.lobby.http.internal.ws.AcceptedUpgrade;
import io.github.lobby.http.internal.ws.ConnectionContext;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Optional;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.util.ByteString;

/**
 * The way into a lean connection: reads the head of its first request ({@link UpgradeHead}) and
 * decides whether the lean path takes it as a WebSocket, with the same checks as the routes
 * (Origin, the connection limits) and the authenticator's decision, or hands it to Pekko HTTP.
 *
 * <p>An upgrade that would be refused (a bad head, a refused Origin, a connection limit) goes to
 * Pekko HTTP, whose routes answer it: the lean path adds no second copy of their error answers.
 * With an authenticator, the connection takes its place under the limits before the authenticator
 * is asked, so that upgrades waiting for it count: one address cannot hold more of them than its
 * limit. The decision comes back to the connection's actor as a {@link LeanSignal.AuthDecided};
 * a refusal is answered here, before any HTTP pipeline exists ({@link
 * UpgradeAuth#responseBytes}).
 */
final class UpgradeGate {

  /** What the connection does next. */
  sealed interface Step {}

  /** Steps without data. */
  enum Next implements Step {
    /** Read more of the head. */
    READ_MORE,
    /** Read nothing until the authenticator has decided (within {@code ask-timeout}). */
    AUTHENTICATING,
    /** Hand the connection, with the bytes read ({@link #takeHead()}), to Pekko HTTP. */
    HTTP
  }

  /**
   * Answer 101 and run the WebSocket.
   *
   * @param head the upgrade's head, for the 101 and the bytes after it
   * @param upgrade what the upgrade asks for
   */
  record Accept(UpgradeHead.Upgrade head, AcceptedUpgrade upgrade) implements Step {}

  /** Answer the refused upgrade with {@code response}, then close. */
  record Refuse(ByteString response) implements Step {}

  private final LeanShared shared;
  private final InetSocketAddress remote;
  private final ActorRef connection;

  /** The bytes read so far; null once the connection has taken them. */
  private ByteString head = ByteString.emptyByteString();

  /** Whether the connection holds a place under the limits while it is being authenticated. */
  private boolean placeTaken;

  UpgradeGate(LeanShared shared, InetSocketAddress remote, ActorRef connection) {
    this.shared = shared;
    this.remote = remote;
    this.connection = connection;
  }

  /** Whether the head is still being read or decided on (nothing has taken the bytes yet). */
  boolean open() {
    return head != null;
  }

  /** Bytes of the head as they arrive. */
  Step read(ByteString data) {
    head = head.concat(data);
    UpgradeHead.Result result =
        UpgradeHead.parse(head, data.size(), shared.maxHead(), shared.maxUri());
    if (result == UpgradeHead.Incomplete.INSTANCE) {
      return Next.READ_MORE;
    }
    if (!(result instanceof UpgradeHead.Upgrade upgrade) || !admissible(upgrade)) {
      return Next.HTTP;
    }
    ConnectionContext context = shared.context();
    Optional<Authenticator> authenticator = context.authenticator();
    if (authenticator.isEmpty()) {
      return accept(upgrade, Optional.empty());
    }
    if (context.admission().admit(address()).isPresent()) {
      return Next.HTTP; // the routes answer 503 or 429
    }
    placeTaken = true;
    UpgradeAuth.authenticate(
            authenticator.get(),
            UpgradeHead.connectRequest(upgrade, address()),
            context.http().askTimeout())
        .thenAccept(
            decision -> connection.tell(new LeanSignal.AuthDecided(upgrade, decision), connection));
    return Next.AUTHENTICATING;
  }

  /** The authenticator's decision: {@link Accept} or {@link Refuse}. */
  Step decided(LeanSignal.AuthDecided decided) {
    if (decided.result() instanceof AuthResult.Grant grant) {
      Authenticator authenticator = shared.context().authenticator().orElseThrow();
      return accept(decided.upgrade(), Optional.of(new Authenticated(grant, authenticator)));
    }
    // Refused before the upgrade: the error answer, then the connection ends.
    release();
    head = null;
    return new Refuse(UpgradeAuth.responseBytes((AuthResult.Refusal) decided.result()));
  }

  /** The bytes read, for Pekko HTTP. */
  ByteString takeHead() {
    ByteString bytes = head;
    head = null;
    return bytes;
  }

  /** The bytes read after an accepted upgrade's head: the client's first frames. */
  ByteString takeRest(UpgradeHead.Upgrade upgrade) {
    ByteString rest = head.drop(upgrade.headLength());
    head = null;
    return rest;
  }

  /**
   * Whether the connection took its place while it was authenticated: the place goes with the
   * WebSocket, which gives it back when it stops.
   */
  boolean handOverPlace() {
    boolean taken = placeTaken;
    placeTaken = false;
    return taken;
  }

  /** Gives back the place an upgrade took while it was being authenticated, if it holds one. */
  void release() {
    if (placeTaken) {
      placeTaken = false;
      shared.context().admission().release(address());
    }
  }

  /**
   * Whether an upgrade passes the checks that the routes would answer with an error (Origin,
   * connection limits); one that does not goes to Pekko HTTP for that answer.
   */
  private boolean admissible(UpgradeHead.Upgrade upgrade) {
    ConnectionContext context = shared.context();
    if (upgrade.origin() != null && !RoomRoutes.originAllowed(context.http(), upgrade.origin())) {
      return false;
    }
    return context.admission().check(address()).isEmpty();
  }

  private Accept accept(UpgradeHead.Upgrade upgrade, Optional<Authenticated> auth) {
    return new Accept(
        upgrade,
        new AcceptedUpgrade(
            upgrade.room(),
            upgrade.json() ? Mode.JSON : Mode.CLASSIC,
            address(),
            auth,
            upgrade.recovery(),
            upgrade.resume(),
            shared.context().compression().negotiate(upgrade.extensions())));
  }

  private Optional<InetAddress> address() {
    return Optional.of(remote.getAddress());
  }
}
