package io.github.lobby.http.internal.guard;

import java.util.ArrayDeque;
import org.apache.pekko.util.ByteString;

/**
 * The guard of one HTTP/1.1 connection, as a plain state machine that its owner feeds with the
 * client's bytes ({@link #onClientBytes}) before they go to the HTTP parser, and with the answers
 * ({@link #onAnswerBytes}) as they go out; the owner keeps the clock ({@link #nanosLeft}) and does
 * what a {@link Verdict} says. {@link HeadGuard#bidiFlow()} is such an owner for Pekko Streams; the
 * lean listener's connection actor is another.
 *
 * <p>It follows requests and answers as far as framing goes ({@link MessageScanner}) and enforces:
 *
 * <ul>
 *   <li>the head deadline ({@code request-head-timeout}): a request's head must be complete within
 *       it, counted from the accept for the first request and from the end of the previous answer
 *       for each next one; it is not running while a request is being served;
 *   <li>CR LF line ends in heads: a bare CR or LF is 400;
 *   <li>the size of one head ({@code max-request-head}, 431) and the bytes unfinished heads of the
 *       whole server hold ({@link HeadBudget}, 503).
 * </ul>
 *
 * <p>After a request with an {@code Upgrade} header (and its body, if any), the client's bytes are
 * not followed until its answer: a 101 turns the connection into a tunnel (a WebSocket Pekko HTTP serves), which is no
 * longer watched; any other answer resumes following, unless bytes came meanwhile, which can no
 * longer be placed: then the connection closes after that answer ({@link #closeAfterAnswer()}).
 * The same happens after a request whose framing cannot be followed (Pekko HTTP answers 400 to
 * it and closes anyway).
 *
 * <p>Not thread-safe; {@link #release()} when the connection ends gives back its budget.
 */
public final class HeadWatch {

  /** What to do with the bytes just given. */
  public enum Verdict {
    /** Pass them on. */
    PASS(0, null),
    /** A bare CR or LF in a head: answer 400 and close. */
    BAD_LINE_END(400, "a line of the request head does not end with CR LF"),
    /** A head longer than {@code max-request-head}: answer 431 and close. */
    HEAD_TOO_LARGE(431, "the request head is too large"),
    /** The heads of the server hold all of {@code head-buffer-budget}: answer 503 and close. */
    OVER_BUDGET(503, "the server is busy, try again"),
    /** More pipelined requests wait for answers than the guard follows: close. */
    TOO_MANY_PENDING(0, null);

    private final int status;
    private final String message;

    Verdict(int status, String message) {
      this.status = status;
      this.message = message;
    }

    /** The status to answer with, or 0 for closing without an answer. */
    public int status() {
      return status;
    }

    /** The message of the JSON error body. */
    public String message() {
      return message;
    }
  }

  /** Requests whose head is complete and whose answer is not, at most. */
  static final int MAX_PENDING = 32;

  private static final int HEAD_METHOD = 1;
  private static final int UPGRADE = 2;

  private final HeadGuard guard;
  private final MessageScanner requests;
  private final MessageScanner answers = new MessageScanner(false, Integer.MAX_VALUE);

  /** One entry per request whose head is complete and whose answer is not: its flags. */
  private final ArrayDeque<Integer> pending = new ArrayDeque<>(2);

  private long charged;
  private boolean armed = true;
  private long deadline;
  private boolean tunnel;
  private boolean paused;
  private boolean pauseAfterBody;
  private boolean bytesWhilePaused;
  private boolean closeAfterAnswer;
  private boolean closeNow;
  private boolean released;
  private long lastProgress;

  HeadWatch(HeadGuard guard, long nowNanos) {
    this.guard = guard;
    this.requests = new MessageScanner(true, guard.maxHead());
    deadline = nowNanos + guard.headTimeout().toNanos();
    lastProgress = nowNanos;
  }

  /**
   * The client's bytes, before they go on: what to do with them. Anything but {@link
   * Verdict#PASS} ends the connection (with the verdict's answer when {@link #mayAnswer()}).
   */
  public Verdict onClientBytes(ByteString data) {
    if (tunnel) {
      lastProgress = System.nanoTime();
      return Verdict.PASS;
    }
    int n = data.size();
    int i = 0;
    while (i < n) {
      if (requests.stopped()) {
        if (paused) {
          bytesWhilePaused = true;
        }
        return Verdict.PASS;
      }
      i = requests.scan(data, i);
      int head = requests.headBytes();
      if (head > charged) {
        if (!guard.budget().take(head - charged)) {
          return Verdict.OVER_BUDGET;
        }
        charged = head;
      }
      switch (requests.event()) {
        case BAD_LINE_END -> {
          return Verdict.BAD_LINE_END;
        }
        case TOO_LARGE -> {
          return Verdict.HEAD_TOO_LARGE;
        }
        case HEAD_END -> {
          giveBack();
          lastProgress = System.nanoTime();
          if (pending.size() >= MAX_PENDING) {
            return Verdict.TOO_MANY_PENDING;
          }
          armed = false;
          pending.add((requests.headMethod() ? HEAD_METHOD : 0) | (requests.upgrade() ? UPGRADE : 0));
          afterRequestHead();
        }
        case MESSAGE_END -> {
          lastProgress = System.nanoTime();
          if (pauseAfterBody) {
            pause();
          }
        }
        case UNTRACKABLE -> closeAfterAnswer = true;
        default -> {}
      }
    }
    return Verdict.PASS;
  }

  private void afterRequestHead() {
    if (requests.framingBad()) {
      requests.stop(); // Pekko HTTP answers 400 and closes
      closeAfterAnswer = true;
    } else if (requests.upgrade()) {
      // What follows the request (and its body) is known only from the answer: a 101 or not.
      if (requests.chunkedBody()) {
        requests.chunked();
        pauseAfterBody = true;
      } else if (requests.contentLength() > 0) {
        requests.body(requests.contentLength());
        pauseAfterBody = true;
      } else {
        pause();
      }
    } else if (requests.chunkedBody()) {
      requests.chunked();
    } else {
      requests.body(Math.max(0, requests.contentLength()));
    }
  }

  private void pause() {
    requests.stop();
    pauseAfterBody = false;
    paused = true;
    bytesWhilePaused = false;
  }

  /**
   * The bytes of an answer, as they go to the client. Returns whether the head deadline started
   * with them (an answer ended with no other request waiting): the owner's clock may need to be
   * set sooner.
   */
  public boolean onAnswerBytes(ByteString data) {
    if (tunnel) {
      lastProgress = System.nanoTime();
      return false;
    }
    boolean started = false;
    int n = data.size();
    int i = 0;
    while (i < n && !answers.stopped()) {
      i = answers.scan(data, i);
      switch (answers.event()) {
        case HEAD_END -> started |= afterAnswerHead();
        case MESSAGE_END -> started |= answerEnded();
        default -> {}
      }
      if (tunnel) {
        break;
      }
    }
    return started;
  }

  private boolean afterAnswerHead() {
    int status = answers.status();
    Integer flags = pending.peek();
    if (status == 101) {
      tunnel = true;
      armed = false;
      giveBack();
      answers.stop();
      return false;
    }
    if (status >= 100 && status < 200) {
      answers.resume(); // an interim answer (100 Continue): the answer follows
      return false;
    }
    boolean bodiless =
        status == 204 || status == 304 || (flags != null && (flags & HEAD_METHOD) != 0);
    if (bodiless) {
      answers.body(0);
      return answerEnded();
    }
    if (answers.chunkedBody()) {
      answers.chunked();
    } else if (answers.contentLength() >= 0) {
      long length = answers.contentLength();
      answers.body(length);
      if (length == 0) {
        return answerEnded();
      }
    } else {
      answers.stop(); // ends with the connection
      closeAfterAnswer = true;
    }
    return false;
  }

  private boolean answerEnded() {
    Integer flags = pending.poll();
    lastProgress = System.nanoTime();
    if (flags != null && (flags & UPGRADE) != 0 && pauseAfterBody) {
      pauseAfterBody = false; // answered before its body ended, and not with 101: no pause
    }
    if (flags != null && (flags & UPGRADE) != 0 && paused) {
      paused = false;
      if (bytesWhilePaused) {
        closeAfterAnswer = true;
      } else {
        requests.resume();
      }
    }
    if (closeAfterAnswer) {
      closeNow = true;
      return false;
    }
    if (pending.isEmpty() && !requests.stopped()) {
      armed = true;
      deadline = System.nanoTime() + guard.headTimeout().toNanos();
      return true;
    }
    return false;
  }

  /**
   * Whether the connection should close once what was written is out: an answer ended after which
   * the client's bytes can no longer be followed.
   */
  public boolean closeAfterAnswer() {
    return closeNow;
  }

  /**
   * Nanoseconds until the head deadline passes (0 or less: it passed), or {@link Long#MAX_VALUE}
   * while it is not running (a request is being served, or the connection is a tunnel).
   */
  public long nanosLeft(long nowNanos) {
    return armed ? deadline - nowNanos : Long.MAX_VALUE;
  }

  /** Whether part of a request head was received: a passed deadline is answered 408. */
  public boolean headStarted() {
    return !tunnel && requests.inHead();
  }

  /**
   * Whether an error answer may be written now: no answer is being written and no request waits
   * for one (else the error would be taken for the answer to another request).
   */
  public boolean mayAnswer() {
    return !tunnel && pending.isEmpty() && answers.betweenMessages();
  }

  /** Whether the connection became a tunnel (a 101 answer): nothing is watched any more. */
  public boolean tunnel() {
    return tunnel;
  }

  /**
   * When the connection last made progress ({@link System#nanoTime()}): a request head or body
   * completed, an answer completed, or any byte of a tunnel; not every byte of a head.
   */
  public long lastProgress() {
    return lastProgress;
  }

  /** Bytes of the budget this connection holds now. */
  long charged() {
    return charged;
  }

  /** The connection ended: gives back the budget it holds. Idempotent. */
  public void release() {
    if (!released) {
      released = true;
      giveBack();
    }
  }

  private void giveBack() {
    if (charged > 0) {
      guard.budget().give(charged);
      charged = 0;
    }
  }
}
