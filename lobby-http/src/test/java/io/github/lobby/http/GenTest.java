package io.github.lobby.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ReflectiveInvocationContext;

class GenTest {

  @Test
  void theSameSeedAndTryGiveTheSameValuesAndAnotherTryOthers() {
    assertEquals(sample(new Gen(42, 3, 10)), sample(new Gen(42, 3, 10)));
    assertNotEquals(sample(new Gen(42, 3, 10)), sample(new Gen(42, 4, 10)));
    assertNotEquals(sample(new Gen(42, 3, 10)), sample(new Gen(43, 3, 10)));
  }

  private static List<Object> sample(Gen gen) {
    List<Object> values = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      values.add(gen.text(0, 40));
      values.add(gen.anyLong());
      values.add(gen.anyDouble());
      values.add(gen.uuid());
    }
    return values;
  }

  @Test
  void rangesHoldAndTheirBoundsComeUp() {
    Gen gen = new Gen(1, 1, 1);
    Set<Integer> seen = new HashSet<>();
    for (int i = 0; i < 2_000; i++) {
      int n = gen.between(1, 3_000);
      assertTrue(n >= 1 && n <= 3_000, "" + n);
      seen.add(n);
      assertEquals(5, gen.between(5, 5));
    }
    assertTrue(seen.containsAll(List.of(1, 2, 2_999, 3_000)), "the bounds and their neighbours");
  }

  @Test
  void textIsAlwaysSendableAndWithinItsLength() {
    Gen gen = new Gen(7, 1, 1);
    boolean beyondTheFirstPlane = false;
    for (int i = 0; i < 2_000; i++) {
      String text = gen.text(3, 40);
      assertTrue(text.length() >= 3 && text.length() <= 40, text);
      assertTrue(StandardCharsets.UTF_8.newEncoder().canEncode(text), "no unpaired surrogate");
      beyondTheFirstPlane |= text.codePoints().anyMatch(c -> c > 0xffff);
    }
    assertTrue(beyondTheFirstPlane);
    assertEquals(12_345, new Gen(7, 2, 2).text(12_345, 12_345).length());
  }

  @Test
  void decimalsDigitsBytesAndUuidsHaveTheirShape() {
    Gen gen = new Gen(9, 1, 1);
    for (int i = 0; i < 500; i++) {
      assertEquals(2, gen.decimal(2).scale());
      String digits = gen.digits(1, 30);
      assertTrue(digits.matches("[0-9]{1,30}"), digits);
      int size = gen.bytes(1, 64).length;
      assertTrue(size >= 1 && size <= 64);
      assertEquals(4, gen.uuid().version());
      assertEquals(2, gen.uuid().variant());
    }
  }

  @Test
  void aFilterThatNothingPassesFailsInsteadOfLoopingForever() {
    Gen gen = new Gen(3, 1, 1);
    assertEquals("x", gen.filter(() -> gen.of("x", "y"), "x"::equals));
    assertThrows(IllegalStateException.class, () -> gen.filter(() -> 1, n -> n > 1));
  }

  private static final List<Gen> tried = new ArrayList<>();

  @Tries(7)
  void aPropertyRunsItsTriesWithOneSeed(Gen gen) {
    tried.add(gen);
  }

  @AfterAll
  static void everyTryRanOnceUnderTheRunsSeed() {
    if (tried.isEmpty()) {
      return; // not selected
    }
    assertEquals(List.of(1, 2, 3, 4, 5, 6, 7), tried.stream().map(Gen::index).toList());
    assertEquals(1, tried.stream().map(Gen::seed).distinct().count());
  }

  @Test
  void aFailingTryNamesItsSeed() throws Exception {
    AssertionError cause = new AssertionError("expected 1 but was 2");
    Gen gen = new Gen(1234, 5, 9);
    AssertionError failure =
        assertThrows(
            AssertionError.class,
            () ->
                new Tries.NameTheSeed()
                    .interceptTestTemplateMethod(
                        () -> {
                          throw cause;
                        },
                        arguments(gen),
                        null));
    assertSame(cause, failure.getCause());
    String message = failure.getMessage();
    assertTrue(message.startsWith("try 5 of 9, seed 1234 failed"), message);
    assertTrue(failure.getMessage().contains("-Dlobby.test.seed=1234"), failure.getMessage());
    assertTrue(failure.getMessage().endsWith("expected 1 but was 2"), failure.getMessage());
  }

  private static ReflectiveInvocationContext<Method> arguments(Object... arguments) {
    return new ReflectiveInvocationContext<>() {
      @Override
      public Class<?> getTargetClass() {
        return GenTest.class;
      }

      @Override
      public Method getExecutable() {
        return null;
      }

      @Override
      public List<Object> getArguments() {
        return List.of(arguments);
      }

      @Override
      public Optional<Object> getTarget() {
        return Optional.empty();
      }
    };
  }
}
