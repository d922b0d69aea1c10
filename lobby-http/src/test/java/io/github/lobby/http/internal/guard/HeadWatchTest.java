package io.github.lobby.http.internal.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;

/** The rules of {@link HeadWatch} on bytes, without a socket. */
class HeadWatchTest {

  final HeadBudget budget = new HeadBudget(1 << 20);
  final HeadGuard guard = new HeadGuard(Duration.ofSeconds(10), 4096, budget);
  final HeadWatch watch = guard.watch(System.nanoTime());

  static ByteString bytes(String s) {
    return ByteString.fromString(s, java.nio.charset.StandardCharsets.ISO_8859_1);
  }

  HeadWatch.Verdict client(String s) {
    return watch.onClientBytes(bytes(s));
  }

  static final String OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  static final String UPGRADE =
      "GET /r HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";

  @Test
  void theDeadlineRunsUntilAHeadEndsAndAgainFromTheEndOfItsAnswer() {
    long now = System.nanoTime();
    assertTrue(watch.nanosLeft(now) > 0 && watch.nanosLeft(now) <= Duration.ofSeconds(10).toNanos());
    assertEquals(HeadWatch.Verdict.PASS, client("GET / HTTP/1.1\r\nHo"));
    assertTrue(watch.headStarted());
    assertEquals(18, budget.used(), "the unfinished head's bytes are held");
    assertEquals(HeadWatch.Verdict.PASS, client("st: x\r\n\r\n"));
    assertEquals(0, budget.used(), "a complete head holds none");
    assertEquals(Long.MAX_VALUE, watch.nanosLeft(now), "not while a request is served");
    assertFalse(watch.mayAnswer());
    assertTrue(watch.onAnswerBytes(bytes(OK.substring(0, 20))) == false);
    assertTrue(watch.onAnswerBytes(bytes(OK.substring(20))), "the answer ended: it runs again");
    long left = watch.nanosLeft(System.nanoTime());
    assertTrue(left > 0 && left <= Duration.ofSeconds(10).toNanos(), "running: " + left);
    assertTrue(watch.mayAnswer());
    assertFalse(watch.headStarted());
  }

  @Test
  void chunkedAnswersAndAnswersToHeadAreFollowed() {
    client("HEAD / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n");
    // The answer to HEAD says how long its body would be, and has none.
    assertFalse(watch.onAnswerBytes(bytes("HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n")));
    assertFalse(watch.mayAnswer(), "the GET waits for its answer");
    assertTrue(
        watch.onAnswerBytes(
            bytes(
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n")));
  }

  @Test
  void a101MakesATunnelThatIsNoLongerWatched() {
    assertEquals(HeadWatch.Verdict.PASS, client(UPGRADE + "\u0081\n\r"));
    watch.onAnswerBytes(bytes("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n"));
    assertTrue(watch.tunnel());
    assertEquals(HeadWatch.Verdict.PASS, client("\n\r\n\rframes"));
    assertEquals(Long.MAX_VALUE, watch.nanosLeft(System.nanoTime()));
  }

  @Test
  void anUpgradeRefusedResumesFollowingOrClosesWhenBytesCameMeanwhile() {
    client(UPGRADE);
    watch.onAnswerBytes(bytes("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n"));
    assertFalse(watch.closeAfterAnswer());
    assertEquals(HeadWatch.Verdict.BAD_LINE_END, client("GET / HTTP/1.1\nHost: x\n\n"));

    HeadWatch other = guard.watch(System.nanoTime());
    other.onClientBytes(bytes(UPGRADE + "GET / HTTP/1.1\r\n"));
    other.onAnswerBytes(bytes("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n"));
    assertTrue(other.closeAfterAnswer(), "the bytes after the upgrade cannot be placed");
  }

  @Test
  void theHeadsOfOneConnectionAndOfAllHaveTheirMost() {
    assertEquals(HeadWatch.Verdict.HEAD_TOO_LARGE, client("GET / HTTP/1.1\r\nX: " + "a".repeat(4100)));
    HeadGuard small = new HeadGuard(Duration.ofSeconds(10), 4096, new HeadBudget(5000));
    HeadWatch a = small.watch(System.nanoTime());
    HeadWatch b = small.watch(System.nanoTime());
    assertEquals(HeadWatch.Verdict.PASS, a.onClientBytes(bytes("GET / " + "a".repeat(3000))));
    assertEquals(HeadWatch.Verdict.OVER_BUDGET, b.onClientBytes(bytes("GET / " + "a".repeat(3000))));
    a.release();
    a.release();
    b.release();
    assertEquals(0, small.budget().used());
  }

  @Test
  void pipelinedRequestsWaitingForAnswersAreBounded() {
    String get = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    assertEquals(HeadWatch.Verdict.PASS, client(get.repeat(HeadWatch.MAX_PENDING)));
    assertEquals(HeadWatch.Verdict.TOO_MANY_PENDING, client(get));
  }
}
