package io.github.lobby.examples;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.github.lobby.core.Lobby;
import io.github.lobby.core.Payload;
import io.github.lobby.core.RoomId;
import io.github.lobby.http.codec.WireJson;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An application actor that pushes a batch of daily statistic records to a room at a fixed
 * rate, straight to the Lobby actor: what {@code POST /dailyDashBoard} does over HTTP. The
 * records have the shape that endpoint takes, so the room's clients cannot tell the difference.
 */
public final class StatisticsPublisher {

  private static final Logger log = LoggerFactory.getLogger(StatisticsPublisher.class);

  /** The protocol of this actor. */
  public sealed interface Command {}

  private enum Tick implements Command {
    INSTANCE
  }

  private record Delivered(Lobby.Published published) implements Command {}

  /** One statistic record, serialized with the field names of the admin API. */
  public record Statistic(
      @JsonProperty("product_line_id") int productLineId,
      @JsonProperty("product_line") String productLine,
      @JsonProperty("currency") String currency,
      @JsonProperty("group_status") String groupStatus,
      @JsonProperty("total_trx") long totalTrx,
      @JsonProperty("total_amount") BigDecimal totalAmount) {}

  private static final String[] PRODUCT_LINES = {"savings", "cards", "loans"};

  private StatisticsPublisher() {}

  /**
   * @param lobby the Lobby actor to publish through, as {@code LobbyServer.lobby()} gives it
   * @param room the room to push the statistics to
   * @param every the interval between two batches
   */
  public static Behavior<Command> create(
      ActorRef<Lobby.AdminCommand> lobby, RoomId room, Duration every) {
    return Behaviors.setup(
        context ->
            Behaviors.withTimers(
                timers -> {
                  timers.startTimerAtFixedRate(Tick.INSTANCE, every);
                  ActorRef<Lobby.Published> replies =
                      context.messageAdapter(Lobby.Published.class, Delivered::new);
                  long[] totals = new long[PRODUCT_LINES.length];
                  return Behaviors.receive(Command.class)
                      .onMessage(
                          Tick.class,
                          tick -> {
                            // README:begin publish
                            Payload batch = new Payload.Json(WireJson.write(nextBatch(totals)));
                            lobby.tell(new Lobby.Publish(room, batch, replies));
                            // README:end
                            return Behaviors.same();
                          })
                      .onMessage(
                          Delivered.class,
                          delivered -> {
                            log.debug(
                                "Statistics delivered to {} sessions of {}",
                                delivered.published().delivered(),
                                room.value());
                            return Behaviors.same();
                          })
                      .build();
                }));
  }

  /** Today's running totals, one record per product line (made-up figures for the example). */
  private static List<Statistic> nextBatch(long[] totals) {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    List<Statistic> batch = new ArrayList<>(PRODUCT_LINES.length);
    for (int i = 0; i < PRODUCT_LINES.length; i++) {
      totals[i] += random.nextInt(1, 50);
      BigDecimal amount =
          BigDecimal.valueOf(totals[i] * random.nextDouble(10, 200)).setScale(2, RoundingMode.HALF_UP);
      batch.add(new Statistic(i + 1, PRODUCT_LINES[i], "EUR", "open", totals[i], amount));
    }
    return batch;
  }
}
