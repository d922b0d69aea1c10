package io.github.lobby.http;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.UnrecoverableKeyException;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.util.Base64;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * The {@code lobby.http.tls} configuration: where the server's certificate and private key are
 * (a key store, or a PEM certificate chain with a PEM PKCS#8 key), the TLS versions offered and how
 * often the files are checked for a new certificate. Read once at start and checked, files
 * included: a server whose key store is missing, unreadable, has another password or no private
 * key does not start.
 *
 * @param keyStore path of the key store; empty when not set
 * @param keyStorePassword password of the key store and of its key (never logged)
 * @param keyStoreType key store type, {@code PKCS12} by default
 * @param certificate path of a PEM X.509 certificate chain (the server's certificate first); empty
 *     when not set
 * @param privateKey path of the PEM PKCS#8 private key of {@code certificate}; empty when not set
 * @param protocols the TLS versions offered, {@code TLSv1.3} and/or {@code TLSv1.2}
 * @param reloadInterval how often the files are checked for a change; zero: never
 */
public record TlsSettings(
    String keyStore,
    String keyStorePassword,
    String keyStoreType,
    String certificate,
    String privateKey,
    List<String> protocols,
    Duration reloadInterval) {

  /** The only TLS versions the server may offer: older ones are broken, newer ones unknown. */
  public static final Set<String> ALLOWED_PROTOCOLS = Set.of("TLSv1.3", "TLSv1.2");

  private static final String PREFIX = "lobby.http.tls.";

  /** Copies the protocol list. */
  public TlsSettings {
    protocols = List.copyOf(protocols);
  }

  /** No TLS: the server listens in plaintext. */
  public static TlsSettings disabled() {
    return new TlsSettings("", "", "PKCS12", "", "", List.of("TLSv1.3", "TLSv1.2"), Duration.ZERO);
  }

  /** Whether TLS is configured (a key store or a certificate is set). */
  public boolean enabled() {
    return !keyStore.isEmpty() || !certificate.isEmpty();
  }

  /**
   * Reads {@code lobby.http.tls} and, when TLS is configured, checks that the files give a
   * usable certificate and key.
   *
   * @param config a configuration with the {@code lobby.http.tls} section
   * @return the settings, {@link #enabled()} or not
   * @throws ConfigException when a key has a bad value or the files do not give a certificate and
   *     private key
   */
  public static TlsSettings fromConfig(Config config) {
    Config c = config.getConfig("lobby.http.tls");
    List<String> protocols = c.getStringList("protocols");
    if (protocols.isEmpty()) {
      throw new ConfigException.BadValue(
          PREFIX + "protocols", "must name TLSv1.3 and/or TLSv1.2, was empty");
    }
    for (String protocol : protocols) {
      if (!ALLOWED_PROTOCOLS.contains(protocol)) {
        throw new ConfigException.BadValue(
            PREFIX + "protocols",
            "only TLSv1.3 and TLSv1.2 are allowed, was \"" + protocol + "\"");
      }
    }
    Duration reload = c.getDuration("reload-interval");
    if (reload.isNegative()) {
      throw new ConfigException.BadValue(
          PREFIX + "reload-interval", "must not be negative, was " + reload);
    }
    TlsSettings settings =
        new TlsSettings(
            c.getString("key-store").strip(),
            c.getString("key-store-password"),
            c.getString("key-store-type").strip(),
            c.getString("certificate").strip(),
            c.getString("private-key").strip(),
            protocols,
            reload);
    if (!settings.keyStore.isEmpty() && !settings.certificate.isEmpty()) {
      throw new ConfigException.BadValue(
          PREFIX + "certificate",
          "set either lobby.http.tls.key-store or lobby.http.tls.certificate (with private-key),"
              + " not both");
    }
    if (!settings.certificate.isEmpty() && settings.privateKey.isEmpty()) {
      throw new ConfigException.BadValue(
          PREFIX + "private-key", "lobby.http.tls.certificate needs private-key, which is empty");
    }
    if (settings.certificate.isEmpty() && !settings.privateKey.isEmpty()) {
      throw new ConfigException.BadValue(
          PREFIX + "certificate", "lobby.http.tls.private-key needs certificate, which is empty");
    }
    if (settings.enabled()) {
      settings.sslContext(); // every file checked now, not at the first connection
    }
    return settings;
  }

  /** The files the certificate and key are read from (none when TLS is off). */
  public List<Path> files() {
    if (!keyStore.isEmpty()) {
      return List.of(Path.of(keyStore));
    }
    if (!certificate.isEmpty()) {
      return List.of(Path.of(certificate), Path.of(privateKey));
    }
    return List.of();
  }

  /**
   * A SHA-256 over the contents of {@link #files()}, to tell whether they changed.
   *
   * @throws IOException when a file cannot be read
   */
  public String fingerprint() throws IOException {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      for (Path file : files()) {
        digest.update(Files.readAllBytes(file));
        digest.update((byte) 0);
      }
      return HexFormat.of().formatHex(digest.digest());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-256 is missing from this JDK", e);
    }
  }

  /**
   * Reads the files and builds a server {@link SSLContext} with their certificate and key (no
   * client authentication).
   *
   * @return a new context
   * @throws ConfigException when TLS is not configured, or the files do not give a certificate
   *     and private key
   */
  public SSLContext sslContext() {
    KeyStore store;
    char[] password = keyStorePassword.toCharArray();
    if (!keyStore.isEmpty()) {
      store = loadKeyStore(password);
    } else if (!certificate.isEmpty()) {
      store = loadPem();
      password = new char[0];
    } else {
      throw new ConfigException.Missing(PREFIX + "key-store");
    }
    try {
      KeyManagerFactory keys =
          KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      keys.init(store, password);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(keys.getKeyManagers(), null, null);
      return context;
    } catch (UnrecoverableKeyException e) {
      throw new ConfigException.BadValue(
          PREFIX + "key-store-password",
          "the private key in " + keyStore + " cannot be read with it (" + e.getMessage() + ")");
    } catch (GeneralSecurityException e) {
      throw new ConfigException.BadValue(
          keyStore.isEmpty() ? PREFIX + "certificate" : PREFIX + "key-store",
          "no TLS context can be built from it: " + e);
    }
  }

  private KeyStore loadKeyStore(char[] password) {
    String key = PREFIX + "key-store";
    Path path = Path.of(keyStore);
    if (!Files.isRegularFile(path)) {
      throw new ConfigException.BadValue(key, "no such file: " + path.toAbsolutePath());
    }
    KeyStore store;
    try {
      store = KeyStore.getInstance(keyStoreType);
    } catch (GeneralSecurityException e) {
      throw new ConfigException.BadValue(
          PREFIX + "key-store-type", "unknown key store type \"" + keyStoreType + "\"");
    }
    try (InputStream in = Files.newInputStream(path)) {
      store.load(in, password);
    } catch (IOException e) {
      if (e.getCause() instanceof UnrecoverableKeyException) {
        throw new ConfigException.BadValue(
            PREFIX + "key-store-password", "wrong password for key store " + path);
      }
      throw new ConfigException.BadValue(
          key,
          "cannot read " + path + " as a " + keyStoreType + " key store (wrong type, damaged,"
              + " or wrong password): " + (e.getMessage() != null ? e.getMessage() : e));
    } catch (GeneralSecurityException e) {
      throw new ConfigException.BadValue(key, "cannot read " + path + ": " + e);
    }
    try {
      for (String alias : Collections.list(store.aliases())) {
        if (store.isKeyEntry(alias)) {
          return store;
        }
      }
    } catch (GeneralSecurityException e) {
      throw new ConfigException.BadValue(key, "cannot list the entries of " + path + ": " + e);
    }
    throw new ConfigException.BadValue(
        key, path + " has no private key entry (only trusted certificates?)");
  }

  private KeyStore loadPem() {
    Path certPath = Path.of(certificate);
    Path keyPath = Path.of(privateKey);
    List<Certificate> chain;
    try {
      byte[] bytes = Files.readAllBytes(certPath);
      chain =
          List.copyOf(
              CertificateFactory.getInstance("X.509")
                  .generateCertificates(new ByteArrayInputStream(bytes)));
    } catch (IOException e) {
      throw new ConfigException.BadValue(PREFIX + "certificate", "cannot read " + certPath + ": " + e);
    } catch (GeneralSecurityException e) {
      throw new ConfigException.BadValue(
          PREFIX + "certificate", certPath + " is not a PEM X.509 certificate chain: " + e);
    }
    if (chain.isEmpty()) {
      throw new ConfigException.BadValue(
          PREFIX + "certificate", certPath + " holds no certificate");
    }
    PrivateKey key = readPkcs8(keyPath);
    if (!matches(key, chain.get(0))) {
      throw new ConfigException.BadValue(
          PREFIX + "private-key",
          "the key of " + keyPath + " is not the key of the first certificate of " + certPath);
    }
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      store.setKeyEntry("lobby", key, new char[0], chain.toArray(new Certificate[0]));
      return store;
    } catch (IOException | GeneralSecurityException e) {
      throw new ConfigException.BadValue(
          PREFIX + "private-key",
          "the key of " + keyPath + " does not go with the certificate of " + certPath + ": " + e);
    }
  }

  /** Whether {@code key} signs what the certificate's public key verifies. */
  private static boolean matches(PrivateKey key, Certificate certificate) {
    String algorithm =
        switch (key.getAlgorithm()) {
          case "RSA" -> "SHA256withRSA";
          case "EC" -> "SHA256withECDSA";
          case "RSASSA-PSS" -> null;
          default -> key.getAlgorithm(); // Ed25519, Ed448, EdDSA
        };
    if (algorithm == null) {
      return true; // PSS needs parameters; the TLS handshake is the check then
    }
    try {
      byte[] probe = "lobby".getBytes(StandardCharsets.US_ASCII);
      java.security.Signature signer = java.security.Signature.getInstance(algorithm);
      signer.initSign(key);
      signer.update(probe);
      byte[] signature = signer.sign();
      java.security.Signature verifier = java.security.Signature.getInstance(algorithm);
      verifier.initVerify(certificate.getPublicKey());
      verifier.update(probe);
      return verifier.verify(signature);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  private static PrivateKey readPkcs8(Path path) {
    String key = PREFIX + "private-key";
    String pem;
    try {
      pem = Files.readString(path, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new ConfigException.BadValue(key, "cannot read " + path + ": " + e);
    }
    String begin = "-----BEGIN PRIVATE KEY-----";
    String end = "-----END PRIVATE KEY-----";
    int from = pem.indexOf(begin);
    int to = pem.indexOf(end);
    if (from < 0 || to < from) {
      String hint =
          pem.contains("BEGIN RSA PRIVATE KEY") || pem.contains("BEGIN EC PRIVATE KEY")
              ? " (a PKCS#1/SEC1 key: convert it with openssl pkcs8 -topk8 -nocrypt)"
              : pem.contains("BEGIN ENCRYPTED PRIVATE KEY") ? " (an encrypted key: decrypt it)" : "";
      throw new ConfigException.BadValue(
          key, path + " has no unencrypted PEM PKCS#8 key (BEGIN PRIVATE KEY)" + hint);
    }
    byte[] der;
    try {
      der = Base64.getMimeDecoder().decode(pem.substring(from + begin.length(), to));
    } catch (IllegalArgumentException e) {
      throw new ConfigException.BadValue(key, path + " is not valid Base64: " + e.getMessage());
    }
    for (String algorithm : List.of("RSA", "EC", "Ed25519", "Ed448", "RSASSA-PSS")) {
      try {
        return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
      } catch (InvalidKeySpecException | java.security.NoSuchAlgorithmException e) {
        // the next algorithm
      }
    }
    throw new ConfigException.BadValue(
        key, path + " is not an RSA, EC or EdDSA PKCS#8 private key");
  }

  /** Hides the password, so that logging the settings never logs it. */
  @Override
  public String toString() {
    return "TlsSettings[keyStore=" + keyStore + ", keyStoreType=" + keyStoreType
        + ", certificate=" + certificate + ", privateKey=" + privateKey
        + ", protocols=" + protocols + ", reloadInterval=" + reloadInterval + "]";
  }
}
