package io.github.lobby.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.MDC;

/**
 * The example server's {@code logback.xml} in both formats: with {@code LOBBY_LOG_FORMAT=json}
 * one JSON object per line, carrying a session's id and room from the MDC; otherwise a plain line
 * with them. Configures a context of its own from the file the jar ships.
 */
class LogFormatTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** Logs one session line through the example configuration in {@code format}; returns stdout. */
  private static String logOneSessionLine(String format) throws Exception {
    PrintStream stdout = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
    LoggerContext context = new LoggerContext();
    context.setMDCAdapter(MDC.getMDCAdapter()); // the MDC the code under test writes to
    try {
      context.putProperty("LOBBY_LOG_FORMAT", format);
      JoranConfigurator configurator = new JoranConfigurator();
      configurator.setContext(context);
      configurator.doConfigure(LogFormatTest.class.getResource("/logback.xml"));
      Logger log = context.getLogger("io.github.lobby.core.Session");
      try (MDC.MDCCloseable s = MDC.putCloseable("sessionId", "3f1c2a9e-0000-4000-8000-000000000001");
          MDC.MDCCloseable r = MDC.putCloseable("room", "lounge")) {
        log.warn("Session {} sent an invalid frame: {}", "3f1c", "a quote \\r\\n escaped");
      }
    } finally {
      context.stop();
      System.setOut(stdout);
    }
    return captured.toString(StandardCharsets.UTF_8);
  }

  @Test
  void jsonFormatWritesOneObjectPerLineWithTheSessionFromTheMdc() throws Exception {
    String out = logOneSessionLine("json");

    String[] lines = out.strip().split("\n");
    assertEquals(1, lines.length, out);
    JsonNode line = JSON.readTree(lines[0]);
    assertEquals("WARN", line.get("level").asText(), out);
    assertEquals("io.github.lobby.core.Session", line.get("loggerName").asText(), out);
    assertEquals("3f1c2a9e-0000-4000-8000-000000000001", line.get("mdc").get("sessionId").asText());
    assertEquals("lounge", line.get("mdc").get("room").asText());
    assertTrue(line.get("formattedMessage").asText().startsWith("Session 3f1c sent"), out);
  }

  @Test
  void textFormatWritesAPlainLineWithTheSessionAndRoom() throws Exception {
    String out = logOneSessionLine("text");

    assertTrue(
        out.matches(
            "\\d\\d:\\d\\d:\\d\\d\\.\\d{3} WARN  io\\.github\\.lobby\\.core\\.Session -"
                + " \\[3f1c2a9e-0000-4000-8000-000000000001 lounge\\] Session 3f1c sent an invalid"
                + " frame: a quote \\\\r\\\\n escaped\\R"),
        out);
  }
}
