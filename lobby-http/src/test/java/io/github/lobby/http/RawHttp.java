package io.github.lobby.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * Sends bytes that no HTTP client library would send (illegal request lines, oversized headers)
 * and reads the whole answer; the server closes the connection after such errors, or the
 * request asks it to.
 */
final class RawHttp {

  /** An answer: its status and its body. */
  record Answer(int status, String head, String body) {}

  private RawHttp() {}

  static Answer send(int port, byte[] request) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write(request);
      socket.getOutputStream().flush();
      InputStream in = socket.getInputStream();
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      byte[] buffer = new byte[8192];
      int n;
      while ((n = in.read(buffer)) >= 0) {
        all.write(buffer, 0, n);
        String text = all.toString(StandardCharsets.UTF_8);
        int headEnd = text.indexOf("\r\n\r\n");
        if (headEnd >= 0) {
          if (text.startsWith("HTTP/1.1 101 ")) {
            break; // an upgrade: no body, and the connection stays open
          }
          int length = contentLength(text.substring(0, headEnd));
          if (length >= 0 && all.size() >= headEnd + 4 + length) {
            break;
          }
        }
      }
      String text = all.toString(StandardCharsets.UTF_8);
      int headEnd = text.indexOf("\r\n\r\n");
      String head = text.substring(0, headEnd);
      return new Answer(Integer.parseInt(head.split(" ")[1]), head, text.substring(headEnd + 4));
    }
  }

  /**
   * A WebSocket upgrade of {@code target} with the given extra header lines (each ending in CRLF);
   * returns the answer's head (and body, for an error), or the 101 head.
   */
  static Answer upgrade(int port, String target, String extraHeaders) throws IOException {
    return send(
        port,
        ("GET "
                + target
                + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                + extraHeaders
                + "\r\n")
            .getBytes(StandardCharsets.US_ASCII));
  }

  /** A GET with {@code Connection: close} and the given extra header lines. */
  static Answer get(int port, String target, String extraHeaders) throws IOException {
    return send(
        port,
        ("GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" + extraHeaders + "\r\n")
            .getBytes(StandardCharsets.UTF_8));
  }

  private static int contentLength(String head) {
    for (String line : head.split("\r\n")) {
      if (line.toLowerCase().startsWith("content-length:")) {
        return Integer.parseInt(line.substring(15).strip());
      }
    }
    return -1;
  }
}
