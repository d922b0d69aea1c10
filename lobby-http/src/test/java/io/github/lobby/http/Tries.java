package io.github.lobby.http;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.lang.reflect.Method;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.InvocationInterceptor;
import org.junit.jupiter.api.extension.ReflectiveInvocationContext;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.ArgumentsProvider;
import org.junit.jupiter.params.provider.ArgumentsSource;
import org.junit.jupiter.params.support.AnnotationConsumer;

/**
 * A property test on plain JUnit 5: the method, which takes one {@link Gen}, runs {@link #value()}
 * times, each time with the generator of its try. All tries of a run derive from one seed, new
 * for every run unless {@code -Dlobby.test.seed=<seed>} gives it; a failing try names its seed in
 * its message, and that seed runs the same tries again, in the same order:
 *
 * <pre>
 * mvn -B -pl lobby-http test -Dtest='BadInputPropertyTest#theProperty' -Dlobby.test.seed=42
 * </pre>
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@ParameterizedTest(name = "{0}")
@ArgumentsSource(Tries.Seeds.class)
@ExtendWith(Tries.NameTheSeed.class)
@interface Tries {

  /** How many times the property runs. */
  int value();

  /** The system property that replays a run. */
  String SEED = "lobby.test.seed";

  /** One {@link Gen} per try, all from the run's seed. */
  final class Seeds implements ArgumentsProvider, AnnotationConsumer<Tries> {
    private int tries;

    @Override
    public void accept(Tries annotation) {
      tries = annotation.value();
    }

    @Override
    public Stream<? extends Arguments> provideArguments(ExtensionContext context) {
      String given = System.getProperty(SEED);
      long seed = given != null ? Long.parseLong(given.trim()) : new SplittableRandom().nextLong();
      return IntStream.rangeClosed(1, tries).mapToObj(i -> Arguments.of(new Gen(seed, i, tries)));
    }
  }

  /** Puts the try and its seed, with how to replay it, in front of a failure's message. */
  final class NameTheSeed implements InvocationInterceptor {
    @Override
    public void interceptTestTemplateMethod(
        Invocation<Void> invocation,
        ReflectiveInvocationContext<Method> invocationContext,
        ExtensionContext extensionContext)
        throws Throwable {
      try {
        invocation.proceed();
      } catch (Throwable failure) {
        Gen gen =
            invocationContext.getArguments().stream()
                .filter(Gen.class::isInstance)
                .map(Gen.class::cast)
                .findFirst()
                .orElseThrow(() -> failure);
        throw new AssertionError(
            gen + " failed (replay with -D" + SEED + "=" + gen.seed() + "): " + failure, failure);
      }
    }
  }
}
