package io.github.lobby.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigResolveOptions;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The configuration tables of docs/CONFIGURATION.md and the {@code reference.conf} files of the
 * modules say the same: every {@code lobby.*} key of a module's {@code reference.conf} has a row,
 * every row names such a key, and the row's default is the reference value. Reads the files of the
 * source tree (docs/CONFIGURATION.md and {@code <module>/src/main/resources/reference.conf} next
 * to this module), whatever keys they hold.
 */
class ConfigurationDocTest {

  private static final Path ROOT = Path.of("").toAbsolutePath().getParent();

  private static final String DOC = "docs/CONFIGURATION.md";

  /** A table row: {@code | `lobby.key` (`ENV`) | `default` (note) | meaning |}. */
  private static final Pattern ROW = Pattern.compile("^\\|\\s*`(lobby\\.[^`]+)`[^|]*\\|([^|]*)\\|");

  private static final Pattern CODE = Pattern.compile("`([^`]*)`");

  @Test
  void documentedTablesAndReferenceConfAgreeOnKeysAndDefaults() throws IOException {
    Map<String, String> tables = tableRows(Files.readAllLines(ROOT.resolve(DOC)));
    Map<String, ConfigValue> reference = referenceKeys();
    assertTrue(reference.size() >= 20, "found the reference.conf files: " + reference.keySet());

    List<String> problems = new ArrayList<>();
    for (String key : reference.keySet()) {
      if (!tables.containsKey(key)) {
        problems.add(key + " is in a reference.conf but has no row in " + DOC);
      }
    }
    for (Map.Entry<String, String> row : tables.entrySet()) {
      ConfigValue value = reference.get(row.getKey());
      if (value == null) {
        problems.add(row.getKey() + " has a row in " + DOC + " but in no module's reference.conf");
        continue;
      }
      String expected = render(value);
      String documented = documentedDefault(row.getValue());
      boolean ok =
          expected.isEmpty() ? !row.getValue().contains("`") : expected.equals(documented);
      if (!ok) {
        problems.add(
            row.getKey()
                + ": "
                + DOC
                + " says default "
                + row.getValue().strip()
                + ", reference.conf says "
                + (expected.isEmpty() ? "\"\" (describe it in words)" : "`" + expected + "`"));
      }
    }
    assertTrue(problems.isEmpty(), String.join("\n", problems));
  }

  @Test
  void theComparisonSeesADifferenceInAKeyAndInADefault() {
    Map<String, String> rows =
        tableRows(
            List.of(
                "| key | default | meaning |",
                "| `lobby.client-timeout` | `10s` | silence |",
                "| `lobby.http.port` (`LOBBY_PORT`) | `8081` | port |",
                "| `lobby.http.allowed-origins` | `[]` (any) | origins |",
                "| `pekko.cluster.seed-nodes` | this node | not a lobby key |",
                "",
                "| meter (Micrometer name) | type | what |",
                "| `lobby.sessions` | gauge | not a key |"));
    assertEquals(3, rows.size(), rows.toString());
    assertEquals("10s", documentedDefault(rows.get("lobby.client-timeout")));
    assertEquals("[]", documentedDefault(rows.get("lobby.http.allowed-origins")));
    Config conf =
        ConfigFactory.parseString("lobby { client-timeout = 12s, http.allowed-origins = [] }");
    assertFalse(
        render(conf.getValue("lobby.client-timeout"))
            .equals(documentedDefault(rows.get("lobby.client-timeout"))));
    assertEquals("[]", render(conf.getValue("lobby.http.allowed-origins")));
  }

  /**
   * The rows of the tables whose header starts with {@code | key |}: the configuration tables, not
   * others that name {@code lobby.*} things (the meters).
   */
  private static Map<String, String> tableRows(List<String> lines) {
    Map<String, String> rows = new TreeMap<>();
    boolean inKeyTable = false;
    for (String line : lines) {
      if (!line.startsWith("|")) {
        inKeyTable = false;
        continue;
      }
      if (line.matches("^\\|\\s*key\\s*\\|.*")) {
        inKeyTable = true;
        continue;
      }
      Matcher m = ROW.matcher(line);
      if (inKeyTable && m.find()) {
        String previous = rows.put(m.group(1), m.group(2));
        assertEquals(null, previous, "one row per key: " + m.group(1));
      }
    }
    return rows;
  }

  /** The first code span of a default cell, or the cell itself when it has none. */
  private static String documentedDefault(String cell) {
    Matcher m = CODE.matcher(cell);
    return m.find() ? m.group(1) : cell.strip();
  }

  /** Every {@code lobby.*} leaf of every module's {@code reference.conf}, environment unset. */
  private static Map<String, ConfigValue> referenceKeys() throws IOException {
    Config merged = ConfigFactory.empty();
    try (Stream<Path> modules = Files.list(ROOT)) {
      for (Path module : modules.sorted().toList()) {
        Path file = module.resolve("src/main/resources/reference.conf");
        if (Files.isRegularFile(file)) {
          merged = merged.withFallback(ConfigFactory.parseFile(file.toFile()));
        }
      }
    }
    Config resolved = merged.resolve(ConfigResolveOptions.noSystem());
    Map<String, ConfigValue> keys = new TreeMap<>();
    if (resolved.hasPath("lobby")) {
      for (Map.Entry<String, ConfigValue> e : resolved.getConfig("lobby").entrySet()) {
        keys.put("lobby." + e.getKey(), e.getValue());
      }
    }
    return keys;
  }

  private static String render(ConfigValue value) {
    return value.valueType() == ConfigValueType.STRING
        ? (String) value.unwrapped()
        : value.render(ConfigRenderOptions.concise());
  }
}
