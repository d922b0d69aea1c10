package io.github.lobby.cluster;

import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.cluster.sharding.ShardCoordinator;
import scala.collection.immutable.IndexedSeq;
import scala.concurrent.Future;

/**
 * Where the shards of {@link RoomSequencer}s go: a new shard to the node with the fewest, and a
 * shard never moves while its node is up. Pekko's default strategy moves shards to nodes that
 * join, to even the load; a sequencer keeps its state in memory only, so every move would give
 * its rooms a new epoch and their clients a history reset. Shards still move when their node
 * leaves or is lost, which no strategy can avoid.
 */
final class KeepShards extends ShardCoordinator.AbstractShardAllocationStrategy {

  @Override
  public Future<ActorRef> allocateShard(
      ActorRef requester, String shardId, Map<ActorRef, IndexedSeq<String>> current) {
    ActorRef least = requester;
    int fewest = Integer.MAX_VALUE;
    for (Map.Entry<ActorRef, IndexedSeq<String>> region : current.entrySet()) {
      int shards = region.getValue().size();
      if (shards < fewest) {
        fewest = shards;
        least = region.getKey();
      }
    }
    return Future.successful(least);
  }

  @Override
  public Future<Set<String>> rebalance(
      Map<ActorRef, IndexedSeq<String>> current, Set<String> inProgress) {
    return Future.successful(Set.of());
  }
}
