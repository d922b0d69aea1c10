package io.github.lobby.http;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/** Test certificates made with the JDK's keytool, and clients that trust them. */
public final class TlsCerts {

  public static final String PASSWORD = "changeit";

  private TlsCerts() {}

  /** A PKCS12 key store with a self-signed EC certificate for localhost and 127.0.0.1. */
  public static Path keyStore(Path dir, String name, String organisation) {
    Path file = dir.resolve(name);
    keytool(
        "-genkeypair", "-alias", "lobby", "-keyalg", "EC", "-groupname", "secp256r1",
        "-validity", "2", "-dname", "CN=localhost, O=" + organisation,
        "-ext", "san=ip:127.0.0.1,dns:localhost", "-storetype", "PKCS12",
        "-keystore", file.toString(), "-storepass", PASSWORD, "-keypass", PASSWORD);
    return file;
  }

  /** A PKCS12 store holding only the certificate of {@code keyStore}, no private key. */
  static Path certificateOnly(Path dir, Path keyStore) {
    Path cert = dir.resolve("only.cer");
    keytool("-exportcert", "-alias", "lobby", "-keystore", keyStore.toString(),
        "-storepass", PASSWORD, "-file", cert.toString());
    Path store = dir.resolve("only.p12");
    keytool("-importcert", "-noprompt", "-alias", "ca", "-file", cert.toString(),
        "-storetype", "PKCS12", "-keystore", store.toString(), "-storepass", PASSWORD);
    return store;
  }

  /** Writes the chain of {@code keyStore} to {@code cert.pem} and its key to {@code key.pem}. */
  static List<Path> pem(Path dir, Path keyStore) throws Exception {
    KeyStore store = load(keyStore);
    PrivateKey key = (PrivateKey) store.getKey("lobby", PASSWORD.toCharArray());
    Base64.Encoder b64 = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII));
    StringBuilder chain = new StringBuilder();
    for (Certificate c : store.getCertificateChain("lobby")) {
      chain.append("-----BEGIN CERTIFICATE-----\n")
          .append(b64.encodeToString(c.getEncoded()))
          .append("\n-----END CERTIFICATE-----\n");
    }
    Path cert = dir.resolve("cert.pem");
    Path keyFile = dir.resolve("key.pem");
    Files.writeString(cert, chain);
    Files.writeString(
        keyFile,
        "-----BEGIN PRIVATE KEY-----\n" + b64.encodeToString(key.getEncoded())
            + "\n-----END PRIVATE KEY-----\n");
    return List.of(cert, keyFile);
  }

  static KeyStore load(Path keyStore) throws Exception {
    KeyStore store = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(keyStore)) {
      store.load(in, PASSWORD.toCharArray());
    }
    return store;
  }

  /** The serial number of the certificate in {@code keyStore}. */
  static BigInteger serial(Path keyStore) throws Exception {
    return ((X509Certificate) load(keyStore).getCertificate("lobby")).getSerialNumber();
  }

  /** A client context that trusts the certificates of these key stores only. */
  public static SSLContext trusting(Path... keyStores) throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    int i = 0;
    for (Path keyStore : keyStores) {
      trust.setCertificateEntry("c" + i++, load(keyStore).getCertificate("lobby"));
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, tmf.getTrustManagers(), null);
    return context;
  }

  /** A client context that trusts anything (to look at the certificate a server presents). */
  static SSLContext trustingAll() throws Exception {
    X509TrustManager all =
        new X509TrustManager() {
          @Override
          public void checkClientTrusted(X509Certificate[] chain, String authType) {}

          @Override
          public void checkServerTrusted(X509Certificate[] chain, String authType) {}

          @Override
          public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
          }
        };
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, new TrustManager[] {all}, null);
    return context;
  }

  /** Handshakes with the server at {@code port} and returns the certificate it presented. */
  static X509Certificate presented(int port, String... protocols) throws Exception {
    try (SSLSocket socket =
        (SSLSocket) trustingAll().getSocketFactory().createSocket("127.0.0.1", port)) {
      socket.setSoTimeout(10_000);
      if (protocols.length > 0) {
        socket.setEnabledProtocols(protocols);
      }
      socket.startHandshake();
      return (X509Certificate) socket.getSession().getPeerCertificates()[0];
    }
  }

  private static void keytool(String... args) {
    List<String> command = new java.util.ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    command.addAll(List.of(args));
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IllegalStateException("keytool " + String.join(" ", args) + " failed: " + out);
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** A plain TCP socket to the server, for bytes that are not TLS. */
  static Socket raw(int port) throws IOException {
    Socket s = new Socket("127.0.0.1", port);
    s.setSoTimeout(10_000);
    return s;
  }
}
