package io.github.lobby.http;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Seeded random generators for the property tests ({@link Tries}): one per try, so that the same
 * seed gives the same values in the same order. Values lean towards the edges where parsers and
 * limits break (empty and one-character text, 0, ±1, the smallest and largest numbers, the
 * bounds of a range) about one time in eight, as property-testing libraries do; text is any
 * Unicode a client can send (no unpaired surrogates), with JSON's special characters and control
 * characters more often than their share.
 */
final class Gen {

  private static final int EDGE_IN = 8;
  private static final int MAX_FILTER_MISSES = 10_000;

  private final SplittableRandom random;
  private final long seed;
  private final int index;
  private final int tries;

  /** The generator of try {@code index} (from 1) of {@code tries}, in the run of {@code seed}. */
  Gen(long seed, int index, int tries) {
    this.random = new SplittableRandom(seed + index);
    this.seed = seed;
    this.index = index;
    this.tries = tries;
  }

  /** The run's seed: with it, the same tries give the same values. */
  long seed() {
    return seed;
  }

  /** Which try this is, from 1. */
  int index() {
    return index;
  }

  @Override
  public String toString() {
    return "try " + index + " of " + tries + ", seed " + seed;
  }

  /** True with probability {@code p}. */
  boolean chance(double p) {
    return random.nextDouble() < p;
  }

  private boolean edge() {
    return random.nextInt(EDGE_IN) == 0;
  }

  /** An int in [min, max], its bounds and their neighbours more often. */
  int between(int min, int max) {
    if (edge()) {
      int[] edges = {min, Math.min(min + 1, max), Math.max(max - 1, min), max};
      return edges[random.nextInt(edges.length)];
    }
    return (int) random.nextLong(min, (long) max + 1);
  }

  /** Any int: edges, small values and the whole range. */
  int anyInt() {
    if (edge()) {
      return of(0, 1, -1, Integer.MIN_VALUE, Integer.MAX_VALUE);
    }
    return chance(0.5) ? random.nextInt(-1_000, 1_001) : random.nextInt();
  }

  /** Any long: edges, small values and the whole range. */
  long anyLong() {
    if (edge()) {
      return of(0L, 1L, -1L, Long.MIN_VALUE, Long.MAX_VALUE);
    }
    return chance(0.5) ? random.nextLong(-1_000_000, 1_000_001) : random.nextLong();
  }

  /**
   * Any double, the special values (NaN, the infinities) among its edges. Not -0.0: the server
   * reads numbers as decimals, which have no negative zero, so it repeats -0.0 as 0.0.
   */
  double anyDouble() {
    if (edge()) {
      return of(
          0.0, 1.0, -1.0, Double.MIN_VALUE, Double.MAX_VALUE, -Double.MAX_VALUE, Double.NaN,
          Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY);
    }
    return chance(0.5)
        ? random.nextInt(-100_000, 100_001) / 100.0
        : Double.longBitsToDouble(random.nextLong());
  }

  /** A decimal with {@code scale} digits after the point, up to 300 digits before it. */
  BigDecimal decimal(int scale) {
    if (edge()) {
      return of(BigDecimal.ZERO, BigDecimal.ONE, BigDecimal.ONE.negate()).setScale(scale);
    }
    int digits = chance(0.8) ? between(1, 12) : between(13, 300);
    StringBuilder unscaled = new StringBuilder(chance(0.5) ? "-" : "");
    for (int i = 0; i < digits + scale; i++) {
      unscaled.append((char) ('0' + random.nextInt(10)));
    }
    return new BigDecimal(new BigInteger(unscaled.toString()), scale);
  }

  /** One of the values, each as likely. */
  @SafeVarargs
  final <T> T of(T... values) {
    return values[random.nextInt(values.length)];
  }

  /** The value of one of the generators, each as likely. */
  @SafeVarargs
  final <T> T oneOf(Supplier<? extends T>... generators) {
    return generators[random.nextInt(generators.length)].get();
  }

  /** Null with probability {@code p}, else a generated value. */
  <T> T orNull(double p, Supplier<T> generator) {
    return chance(p) ? null : generator.get();
  }

  /** A generated value that {@code keep} accepts; fails after 10,000 that it does not. */
  <T> T filter(Supplier<T> generator, Predicate<? super T> keep) {
    for (int i = 0; i < MAX_FILTER_MISSES; i++) {
      T value = generator.get();
      if (keep.test(value)) {
        return value;
      }
    }
    throw new IllegalStateException(MAX_FILTER_MISSES + " generated values missed the filter");
  }

  /** Up to {@code max} generated values. */
  <T> List<T> list(int max, Supplier<T> element) {
    int size = between(0, max);
    List<T> list = new ArrayList<>(size);
    for (int i = 0; i < size; i++) {
      list.add(element.get());
    }
    return list;
  }

  /** Text of {@code min} to {@code max} chars (UTF-16 units), any Unicode a client can send. */
  String text(int min, int max) {
    int length = between(min, max);
    StringBuilder text = new StringBuilder(length);
    while (text.length() < length) {
      int codePoint = codePoint();
      if (Character.charCount(codePoint) > length - text.length()) {
        codePoint = 'x';
      }
      text.appendCodePoint(codePoint);
    }
    return text.toString();
  }

  private int codePoint() {
    return switch (random.nextInt(6)) {
      case 0, 1 -> random.nextInt(0x20, 0x7f); // printable ASCII
      case 2 -> of((int) '"', (int) '\\', (int) '/', (int) ' ', 0x7f, 0x85, 0xa0, 0x2028, 0xfeff);
      case 3 -> random.nextInt(0, 0x20); // control characters
      case 4 -> random.nextInt(0x80, 0xd800); // the rest of the first plane, below the surrogates
      default ->
          chance(0.5)
              ? random.nextInt(0xe000, 0x10000) // above the surrogates
              : random.nextInt(0x10000, 0x110000); // beyond the first plane: a surrogate pair
    };
  }

  /** {@code min} to {@code max} decimal digits. */
  String digits(int min, int max) {
    int length = between(min, max);
    StringBuilder digits = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      digits.append((char) ('0' + random.nextInt(10)));
    }
    return digits.toString();
  }

  /** {@code min} to {@code max} bytes of any value. */
  byte[] bytes(int min, int max) {
    byte[] bytes = new byte[between(min, max)];
    random.nextBytes(bytes);
    return bytes;
  }

  /** A random (version 4) UUID from this generator's seed. */
  UUID uuid() {
    long high = (random.nextLong() & ~0xf000L) | 0x4000L;
    long low = (random.nextLong() & ~(0xcL << 60)) | (0x8L << 60);
    return new UUID(high, low);
  }
}
