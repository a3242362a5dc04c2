package io.herald.auth;

import io.herald.config.HeraldConfig;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;

/**
 * Recognises API keys. Keys are compared as SHA-256 digests with {@link MessageDigest#isEqual}
 * against every configured key, without stopping at the first match, so the time taken says
 * nothing about how much of a key was right or which key it was.
 */
public final class ApiKeys {
  private record Entry(byte[] digest, HeraldConfig.ApiKey key) {
  }

  private final List<Entry> entries;

  public ApiKeys(List<HeraldConfig.ApiKey> keys) {
    this.entries = keys.stream().map(k -> new Entry(digest(k.key()), k)).toList();
  }

  /** The matching key's principal, or null. */
  public Principal find(String presented) {
    byte[] d = digest(presented);
    HeraldConfig.ApiKey match = null;
    for (Entry e : entries) {
      if (MessageDigest.isEqual(d, e.digest()) && match == null) {
        match = e.key();
      }
    }
    return match == null ? null : Principal.app(match.name(), match.scopes());
  }

  private static byte[] digest(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
