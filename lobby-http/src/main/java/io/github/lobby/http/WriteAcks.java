package io.github.lobby.http;

import java.util.function.Consumer;
import org.apache.pekko.actor.AbstractActor;
import org.apache.pekko.actor.ActorCell;
import org.apache.pekko.actor.ActorRef;
import scala.runtime.AbstractFunction2;
import scala.runtime.BoxedUnit;

/**
 * An acknowledgement target that runs a function on the sender's thread instead of queueing a
 * message: the lean path's socket actor acknowledges each write to it, and the function writes what
 * queued meanwhile, so a delivery costs no message to the connection's own actor.
 *
 * <p>This uses Pekko's {@code FunctionRef} (via {@code ActorCell.addFunctionRef}), the same
 * mechanism as Pekko Streams' stage actors; it is internal API, pinned with the Pekko version in
 * the parent pom, and the real-socket tests cover every write path through it. The function must be
 * thread-safe against its actor: it runs on another thread.
 */
final class WriteAcks {

  private WriteAcks() {}

  /**
   * Registers a function with the actor; the reference goes away when the actor stops. It gets
   * every message sent to the reference: acknowledgements, and failed writes.
   */
  static ActorRef register(AbstractActor.ActorContext context, Consumer<Object> onMessage) {
    return ((ActorCell) context)
        .addFunctionRef(
            new AbstractFunction2<ActorRef, Object, BoxedUnit>() {
              @Override
              public BoxedUnit apply(ActorRef sender, Object message) {
                onMessage.accept(message);
                return BoxedUnit.UNIT;
              }
            },
            "w");
  }
}
