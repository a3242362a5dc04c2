package io.herald.auth;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;

/** Reads PEM keys (inline text or a file path) for RS256 and ES256. */
public final class Pem {
  private Pem() {
  }

  public static PublicKey publicKey(String algorithm, String textOrPath) {
    try {
      return KeyFactory.getInstance(family(algorithm)).generatePublic(new X509EncodedKeySpec(der(textOrPath, "PUBLIC KEY")));
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new IllegalArgumentException("not a " + family(algorithm) + " public key in PEM (-----BEGIN PUBLIC KEY-----): " + e.getMessage());
    }
  }

  public static PrivateKey privateKey(String algorithm, String textOrPath) {
    try {
      return KeyFactory.getInstance(family(algorithm)).generatePrivate(new PKCS8EncodedKeySpec(der(textOrPath, "PRIVATE KEY")));
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new IllegalArgumentException("not a " + family(algorithm) + " PKCS#8 private key in PEM (-----BEGIN PRIVATE KEY-----): " + e.getMessage());
    }
  }

  public static String encode(String label, byte[] der) {
    return "-----BEGIN " + label + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der) + "\n-----END " + label + "-----\n";
  }

  static String family(String algorithm) {
    return algorithm.startsWith("RS") ? "RSA" : "EC";
  }

  private static byte[] der(String textOrPath, String label) {
    String text = textOrPath;
    if (!text.contains("-----BEGIN")) {
      try {
        text = Files.readString(Path.of(textOrPath.trim()));
      } catch (IOException e) {
        throw new IllegalArgumentException("cannot read " + textOrPath + ": " + e.getMessage());
      }
    }
    int begin = text.indexOf("-----BEGIN " + label + "-----");
    int end = text.indexOf("-----END " + label + "-----");
    if (begin < 0 || end < begin) {
      throw new IllegalArgumentException("no " + label + " block");
    }
    String body = text.substring(begin + label.length() + 16, end).replaceAll("\\s", "");
    return Base64.getDecoder().decode(body);
  }
}
