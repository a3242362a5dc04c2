package io.herald.auth;

import io.herald.config.HeraldConfig;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.time.Clock;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.Set;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Verifies and signs end-user JWTs. The algorithm is pinned to the configured one: a token whose
 * header names any other (including {@code none}, or HS256 against an RSA key) is refused before
 * its signature is looked at. {@code exp} is required; {@code nbf}, {@code iss} and {@code aud}
 * are checked when present or configured.
 */
public final class Jwt {
  /** Why a token was refused; the message is safe to show to the caller. */
  public static final class Invalid extends Exception {
    public Invalid(String message) {
      super(message, null, false, false);
    }
  }

  private static final Base64.Decoder B64 = Base64.getUrlDecoder();
  private static final Base64.Encoder B64E = Base64.getUrlEncoder().withoutPadding();

  private final HeraldConfig.Jwt cfg;
  private final Clock clock;
  private final PublicKey publicKey;

  public Jwt(HeraldConfig.Jwt cfg, Clock clock) {
    this.cfg = cfg;
    this.clock = clock;
    this.publicKey = cfg.algorithm().equals("HS256") ? null : Pem.publicKey(cfg.algorithm(), cfg.publicKey());
  }

  public Principal verify(String token) throws Invalid {
    String[] parts = token == null ? new String[0] : token.split("\\.", -1);
    if (parts.length != 3 || parts[0].isEmpty() || parts[1].isEmpty()) {
      throw new Invalid("malformed token");
    }
    JsonObject header = json(parts[0]);
    Object alg = header.getValue("alg");
    if (!cfg.algorithm().equals(alg)) {
      throw new Invalid("token algorithm " + alg + " is not accepted (expected " + cfg.algorithm() + ")");
    }
    if (header.containsKey("crit")) {
      throw new Invalid("token has critical header extensions this server does not support");
    }
    byte[] signed = (parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII);
    byte[] signature;
    try {
      signature = B64.decode(parts[2]);
    } catch (IllegalArgumentException e) {
      throw new Invalid("malformed token signature");
    }
    if (!signatureValid(signed, signature)) {
      throw new Invalid("token signature does not verify");
    }
    return claims(json(parts[1]));
  }

  private boolean signatureValid(byte[] signed, byte[] signature) {
    try {
      if (publicKey == null) {
        return MessageDigest.isEqual(hmac(cfg.secret(), signed), signature);
      }
      if (cfg.algorithm().equals("ES256") && signature.length != 64) {
        return false;
      }
      Signature verifier = Signature.getInstance(javaName(cfg.algorithm()));
      verifier.initVerify(publicKey);
      verifier.update(signed);
      return verifier.verify(signature);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  private Principal claims(JsonObject claims) throws Invalid {
    long now = clock.instant().getEpochSecond();
    long leeway = cfg.leewaySeconds();
    if (!(claims.getValue("sub") instanceof String sub) || sub.isBlank() || sub.length() > 200) {
      throw new Invalid("token has no usable sub (user id)");
    }
    if (!(claims.getValue("exp") instanceof Number exp)) {
      throw new Invalid("token has no exp");
    }
    if (now > exp.longValue() + leeway) {
      throw new Invalid("token expired");
    }
    Object nbf = claims.getValue("nbf");
    if (nbf != null && (!(nbf instanceof Number n) || now + leeway < n.longValue())) {
      throw new Invalid("token not valid yet (nbf)");
    }
    if (cfg.issuer() != null && !cfg.issuer().equals(claims.getValue("iss"))) {
      throw new Invalid("token issuer is not " + cfg.issuer());
    }
    if (cfg.audience() != null && !audienceMatches(claims.getValue("aud"))) {
      throw new Invalid("token audience does not include " + cfg.audience());
    }
    Set<String> roles = new LinkedHashSet<>();
    if (claims.getValue("roles") instanceof JsonArray list) {
      for (Object role : list) {
        if (role instanceof String r && !r.isBlank()) {
          roles.add(r);
        }
      }
    }
    return Principal.user(sub, Set.copyOf(roles));
  }

  private boolean audienceMatches(Object aud) {
    if (aud instanceof String s) {
      return s.equals(cfg.audience());
    }
    return aud instanceof JsonArray list && list.contains(cfg.audience());
  }

  private static JsonObject json(String part) throws Invalid {
    try {
      return new JsonObject(new String(B64.decode(part), StandardCharsets.UTF_8));
    } catch (IllegalArgumentException | DecodeException | ClassCastException e) {
      throw new Invalid("malformed token");
    }
  }

  /** Signs claims with the configured algorithm: HS256 with the secret, RS256/ES256 with {@code privateKey}. */
  public static String sign(String algorithm, String secret, PrivateKey privateKey, JsonObject claims) {
    String head = B64E.encodeToString(new JsonObject().put("alg", algorithm).put("typ", "JWT").encode().getBytes(StandardCharsets.UTF_8));
    String body = B64E.encodeToString(claims.encode().getBytes(StandardCharsets.UTF_8));
    byte[] input = (head + "." + body).getBytes(StandardCharsets.US_ASCII);
    try {
      byte[] sig;
      if (algorithm.equals("HS256")) {
        sig = hmac(secret, input);
      } else {
        Signature signer = Signature.getInstance(javaName(algorithm));
        signer.initSign(privateKey);
        signer.update(input);
        sig = signer.sign();
      }
      return head + "." + body + "." + B64E.encodeToString(sig);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot sign a token: " + e.getMessage(), e);
    }
  }

  private static byte[] hmac(String secret, byte[] input) throws GeneralSecurityException {
    Mac mac = Mac.getInstance("HmacSHA256");
    Key key = new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256");
    mac.init(key);
    return mac.doFinal(input);
  }

  private static String javaName(String algorithm) {
    return algorithm.equals("RS256") ? "SHA256withRSA" : "SHA256withECDSAinP1363Format";
  }
}
