package io.github.lobby.http;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A raw client socket for the request-head tests: sends bytes at once or one at a time with a
 * pause between them (a slow client), and reads answers one by one off a keep-alive connection.
 */
public final class SlowSocket implements AutoCloseable {

  /** An answer: its status, head and body. */
  public record Answer(int status, String head, String body) {}

  private final Socket socket;
  private final OutputStream out;
  private final InputStream in;
  private Thread trickler;

  /** Connects to 127.0.0.1:{@code port}; reads wait at most 20 s. */
  public SlowSocket(int port) throws IOException {
    socket = new Socket("127.0.0.1", port);
    socket.setSoTimeout(20_000);
    out = socket.getOutputStream();
    in = new BufferedInputStream(socket.getInputStream());
  }

  /** Sends {@code text} (ISO-8859-1) at once. */
  public void send(String text) throws IOException {
    out.write(text.getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
  }

  /**
   * Sends {@code text} one byte every {@code every} on a thread of its own, until all is sent or
   * a write fails (the server closed); returns the count of bytes sent so far, live.
   */
  public AtomicInteger trickle(String text, Duration every) {
    AtomicInteger sent = new AtomicInteger();
    byte[] bytes = text.getBytes(StandardCharsets.ISO_8859_1);
    trickler =
        new Thread(
            () -> {
              try {
                for (byte b : bytes) {
                  Thread.sleep(every.toMillis());
                  out.write(b);
                  out.flush();
                  sent.incrementAndGet();
                }
              } catch (IOException | InterruptedException e) {
                // the server closed the connection, or the test ended
              }
            },
            "trickle");
    trickler.setDaemon(true);
    trickler.start();
    return sent;
  }

  /** Reads one answer (its head and its Content-Length body); null if the connection ends first. */
  public Answer readAnswer() throws IOException {
    return read(true);
  }

  /** Reads the head of an answer to a HEAD request, which has no body. */
  public Answer readHeadAnswer() throws IOException {
    return read(false);
  }

  private Answer read(boolean withBody) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    while (matched < 4) {
      int b;
      try {
        b = in.read();
      } catch (SocketException reset) {
        b = -1;
      }
      if (b < 0) {
        if (head.size() == 0) {
          return null;
        }
        throw new IOException("the answer ended in its head: " + head);
      }
      head.write(b);
      matched = (b == '\r' || b == '\n') && "\r\n\r\n".charAt(matched) == b ? matched + 1 : 0;
    }
    String text = head.toString(StandardCharsets.ISO_8859_1);
    int length = 0;
    for (String line : text.split("\r\n")) {
      if (line.toLowerCase().startsWith("content-length:")) {
        length = Integer.parseInt(line.substring(15).strip());
      }
    }
    byte[] body = withBody ? in.readNBytes(length) : new byte[0];
    return new Answer(
        Integer.parseInt(text.split(" ")[1]),
        text.strip(),
        new String(body, StandardCharsets.UTF_8));
  }

  /** Whether the server ends the connection (EOF or reset) with nothing more to read. */
  public boolean endsWithNothingMore() throws IOException {
    try {
      return in.read() < 0;
    } catch (SocketException reset) {
      return true;
    }
  }

  @Override
  public void close() throws IOException {
    if (trickler != null) {
      trickler.interrupt();
    }
    socket.close();
  }
}
