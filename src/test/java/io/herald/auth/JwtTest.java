package io.herald.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.herald.config.HeraldConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Unit tests of {@link Jwt} (HS256, RS256, ES256 on a fixed clock) and {@link ApiKeys}. */
class JwtTest {
  static final long NOW = 1_700_000_000L;
  static final Clock CLOCK = Clock.fixed(Instant.ofEpochSecond(NOW), ZoneOffset.UTC);
  static final String SECRET = "jwt-test-secret-0123456789abcdef";
  static final int LEEWAY = 30;
  static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

  static KeyPair rsa;
  static KeyPair ec;

  @BeforeAll
  static void keys() throws Exception {
    KeyPairGenerator rsaGen = KeyPairGenerator.getInstance("RSA");
    rsaGen.initialize(2048);
    rsa = rsaGen.generateKeyPair();
    KeyPairGenerator ecGen = KeyPairGenerator.getInstance("EC");
    ecGen.initialize(new ECGenParameterSpec("secp256r1"));
    ec = ecGen.generateKeyPair();
  }

  static Jwt hs256() {
    return new Jwt(new HeraldConfig.Jwt("HS256", SECRET, null, null, null, LEEWAY), CLOCK);
  }

  static Jwt withKey(String algorithm, KeyPair pair) {
    String pem = Pem.encode("PUBLIC KEY", pair.getPublic().getEncoded());
    return new Jwt(new HeraldConfig.Jwt(algorithm, null, pem, null, null, LEEWAY), CLOCK);
  }

  static JsonObject claims(String sub) {
    return new JsonObject().put("sub", sub).put("iat", NOW).put("exp", NOW + 600);
  }

  static String hs(JsonObject claims) {
    return Jwt.sign("HS256", SECRET, null, claims);
  }

  static String b64(String text) {
    return B64.encodeToString(text.getBytes(StandardCharsets.UTF_8));
  }

  static String invalid(Jwt jwt, String token) {
    try {
      Principal p = jwt.verify(token);
      return fail("token was accepted as " + p);
    } catch (Jwt.Invalid e) {
      assertNotNull(e.getMessage());
      return e.getMessage();
    }
  }

  // ---- HS256 ----

  @Test
  void hs256TokenGivesAUserPrincipalWithSubAndRoles() throws Exception {
    // a valid HS256 token yields a user principal carrying the sub and the roles
    Principal p = hs256().verify(hs(claims("alice").put("roles", new JsonArray().add("admin").add("support"))));
    assertTrue(p.isUser());
    assertEquals("alice", p.name());
    assertEquals(Set.of("admin", "support"), p.roles());
    assertEquals(Set.of(), p.scopes());
  }

  @Test
  void hs256TokenWithoutRolesHasNoRoles() throws Exception {
    // roles are optional: a token without them is a user with an empty role set
    assertEquals(Set.of(), hs256().verify(hs(claims("bob"))).roles());
  }

  @Test
  void tokenSignedWithAnotherSecretIsRefused() {
    // a signature made with a different secret does not verify
    String token = Jwt.sign("HS256", "some-other-secret-0123456789", null, claims("alice"));
    assertTrue(invalid(hs256(), token).contains("signature"));
  }

  @Test
  void expiredBeyondLeewayIsRefused() {
    // exp more than the leeway in the past is refused
    String token = hs(claims("alice").put("exp", NOW - LEEWAY - 1));
    assertTrue(invalid(hs256(), token).contains("expired"));
  }

  @Test
  void expiredWithinLeewayIsAccepted() throws Exception {
    // exp in the past but within the leeway (clock skew) is still accepted, up to the edge
    assertEquals("alice", hs256().verify(hs(claims("alice").put("exp", NOW - 5))).name());
    assertEquals("alice", hs256().verify(hs(claims("alice").put("exp", NOW - LEEWAY))).name());
  }

  @Test
  void notBeforeInTheFutureIsRefused() {
    // nbf beyond now + leeway is refused
    String token = hs(claims("alice").put("nbf", NOW + LEEWAY + 1));
    assertTrue(invalid(hs256(), token).contains("nbf"));
  }

  @Test
  void notBeforeWithinLeewayIsAccepted() throws Exception {
    // nbf slightly in the future (within the leeway) and nbf in the past are accepted
    assertEquals("alice", hs256().verify(hs(claims("alice").put("nbf", NOW + 10))).name());
    assertEquals("alice", hs256().verify(hs(claims("alice").put("nbf", NOW - 100))).name());
  }

  @Test
  void nonNumericNotBeforeIsRefused() {
    // an nbf that is not a number cannot be checked, so the token is refused
    invalid(hs256(), hs(claims("alice").put("nbf", "soon")));
  }

  @Test
  void missingExpIsRefused() {
    // exp is required: a token without it never expires and is refused
    JsonObject c = claims("alice");
    c.remove("exp");
    assertTrue(invalid(hs256(), hs(c)).contains("exp"));
  }

  @Test
  void nonNumericExpIsRefused() {
    // an exp given as a string is not an expiry time
    invalid(hs256(), hs(claims("alice").put("exp", String.valueOf(NOW + 600))));
  }

  @Test
  void missingOrBlankSubIsRefused() {
    // a token must name its user
    JsonObject noSub = claims("x");
    noSub.remove("sub");
    invalid(hs256(), hs(noSub));
    invalid(hs256(), hs(claims(" ")));
    invalid(hs256(), hs(claims("x").put("sub", 42)));
  }

  @Test
  void algNoneIsRefused() {
    // an unsigned token (alg none, empty signature) is refused
    String token = b64("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "." + b64(claims("alice").encode()) + ".";
    assertTrue(invalid(hs256(), token).contains("algorithm"));
  }

  @Test
  void algNoneWithTheHs256SignatureStillAttachedIsRefused() {
    // switching the header to none on an otherwise valid token does not get it through
    String good = hs(claims("alice"));
    String[] parts = good.split("\\.");
    invalid(hs256(), b64("{\"alg\":\"none\"}") + "." + parts[1] + "." + parts[2]);
  }

  @Test
  void tamperedHs256PayloadIsRefused() {
    // changing the claims after signing breaks the signature
    String[] parts = hs(claims("alice")).split("\\.");
    String forged = parts[0] + "." + b64(claims("mallory").encode()) + "." + parts[2];
    assertTrue(invalid(hs256(), forged).contains("signature"));
  }

  @Test
  void criticalHeaderIsRefused() {
    // a header with crit extensions we do not understand is refused even if correctly signed
    String head = b64("{\"alg\":\"HS256\",\"crit\":[\"exp\"]}");
    String body = b64(claims("alice").encode());
    String token = resignHs256(head, body);
    invalid(hs256(), token);
  }

  static String resignHs256(String head, String body) {
    try {
      javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
      mac.init(new javax.crypto.spec.SecretKeySpec(SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      byte[] sig = mac.doFinal((head + "." + body).getBytes(StandardCharsets.US_ASCII));
      return head + "." + body + "." + B64.encodeToString(sig);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void resignHelperProducesTokensTheVerifierAccepts() throws Exception {
    // guards the crit test: the same hand-made signing with an ordinary header is accepted
    String token = resignHs256(b64("{\"alg\":\"HS256\"}"), b64(claims("alice").encode()));
    assertEquals("alice", hs256().verify(token).name());
  }

  // ---- RS256 / ES256 ----

  @Test
  void rs256TokenSignedWithThePrivateKeyIsAccepted() throws Exception {
    // RS256 with a real key pair: the configured public key verifies the private key's signature
    String token = Jwt.sign("RS256", null, rsa.getPrivate(), claims("carol").put("roles", new JsonArray().add("ops")));
    Principal p = withKey("RS256", rsa).verify(token);
    assertEquals("carol", p.name());
    assertEquals(Set.of("ops"), p.roles());
  }

  @Test
  void rs256TamperedPayloadIsRefused() {
    // RS256: swapping the payload of a signed token breaks the signature
    String[] parts = Jwt.sign("RS256", null, rsa.getPrivate(), claims("carol")).split("\\.");
    invalid(withKey("RS256", rsa), parts[0] + "." + b64(claims("mallory").encode()) + "." + parts[2]);
  }

  @Test
  void rs256SignedWithAnotherKeyIsRefused() throws Exception {
    // RS256: a token signed by some other RSA key does not verify against ours
    KeyPairGenerator gen = KeyPairGenerator.getInstance("RSA");
    gen.initialize(2048);
    String token = Jwt.sign("RS256", null, gen.generateKeyPair().getPrivate(), claims("carol"));
    invalid(withKey("RS256", rsa), token);
  }

  @Test
  void hs256TokenSignedWithTheRsaPublicKeyIsRefused() {
    // the key-confusion attack: HS256 signed with the configured RSA public key's PEM text as HMAC secret is refused
    String pem = Pem.encode("PUBLIC KEY", rsa.getPublic().getEncoded());
    assertTrue(invalid(withKey("RS256", rsa), Jwt.sign("HS256", pem, null, claims("mallory"))).contains("algorithm"));
  }

  @Test
  void es256TokenSignedWithThePrivateKeyIsAccepted() throws Exception {
    // ES256 with a real P-256 key pair verifies
    String token = Jwt.sign("ES256", null, ec.getPrivate(), claims("dave"));
    assertEquals("dave", withKey("ES256", ec).verify(token).name());
  }

  @Test
  void es256TamperedPayloadIsRefused() {
    // ES256: swapping the payload of a signed token breaks the signature
    String[] parts = Jwt.sign("ES256", null, ec.getPrivate(), claims("dave")).split("\\.");
    invalid(withKey("ES256", ec), parts[0] + "." + b64(claims("mallory").encode()) + "." + parts[2]);
  }

  @Test
  void es256SignatureOfWrongLengthIsRefused() throws Exception {
    // ES256 signatures are 64 raw bytes: a truncated one, a padded one and a DER-encoded one are refused
    Jwt jwt = withKey("ES256", ec);
    String[] parts = Jwt.sign("ES256", null, ec.getPrivate(), claims("dave")).split("\\.");
    byte[] sig = Base64.getUrlDecoder().decode(parts[2]);
    assertEquals(64, sig.length);
    String signed = parts[0] + "." + parts[1];
    invalid(jwt, signed + "." + B64.encodeToString(java.util.Arrays.copyOf(sig, 63)));
    invalid(jwt, signed + "." + B64.encodeToString(java.util.Arrays.copyOf(sig, 65)));
    Signature der = Signature.getInstance("SHA256withECDSA");
    der.initSign(ec.getPrivate());
    der.update(signed.getBytes(StandardCharsets.US_ASCII));
    invalid(jwt, signed + "." + B64.encodeToString(der.sign()));
  }

  @Test
  void es256TokenIsRefusedWhenRs256IsConfigured() {
    // the algorithm is pinned: an ES256 token is refused by an RS256 verifier
    invalid(withKey("RS256", rsa), Jwt.sign("ES256", null, ec.getPrivate(), claims("dave")));
  }

  // ---- issuer and audience ----

  static Jwt withIssuerAndAudience() {
    return new Jwt(new HeraldConfig.Jwt("HS256", SECRET, null, "https://id.example", "herald", LEEWAY), CLOCK);
  }

  @Test
  void matchingIssuerAndAudiencePass() throws Exception {
    // with issuer and audience configured, a token carrying both is accepted (aud as a string or a list)
    Jwt jwt = withIssuerAndAudience();
    assertEquals("erin", jwt.verify(hs(claims("erin").put("iss", "https://id.example").put("aud", "herald"))).name());
    assertEquals("erin", jwt.verify(hs(claims("erin").put("iss", "https://id.example")
        .put("aud", new JsonArray().add("other").add("herald")))).name());
  }

  @Test
  void wrongOrMissingIssuerFails() {
    // a configured issuer must match exactly and must be present
    Jwt jwt = withIssuerAndAudience();
    assertTrue(invalid(jwt, hs(claims("erin").put("iss", "https://evil.example").put("aud", "herald"))).contains("issuer"));
    invalid(jwt, hs(claims("erin").put("aud", "herald")));
  }

  @Test
  void wrongOrMissingAudienceFails() {
    // a configured audience must be the aud string or an element of the aud list, and must be present
    Jwt jwt = withIssuerAndAudience();
    JsonObject base = claims("erin").put("iss", "https://id.example");
    assertTrue(invalid(jwt, hs(base.copy().put("aud", "other"))).contains("audience"));
    invalid(jwt, hs(base.copy().put("aud", new JsonArray().add("other").add("herald-admin"))));
    invalid(jwt, hs(base.copy()));
  }

  @Test
  void issuerAndAudienceAreIgnoredWhenNotConfigured() throws Exception {
    // without issuer/audience configured, any iss and aud are accepted
    assertEquals("erin", hs256().verify(hs(claims("erin").put("iss", "anyone").put("aud", "anything"))).name());
  }

  // ---- malformed tokens ----

  @ParameterizedTest
  @ValueSource(strings = {"", "a", "a.b", "...", "a.b.c.d", ".b.c", "a..c", "!!!.###.$$$", "eyJ.eyJ.sig",
      "bm90IGpzb24.bm90IGpzb24.c2ln", "W10.W10.c2ln", "bnVsbA.bnVsbA.c2ln", "IngiIA.IngiIA.c2ln", "MTIz.MTIz.c2ln"})
  void malformedTokensAreInvalid(String token) {
    // garbage (wrong part count, non-base64, non-JSON, JSON that is not an object) is Invalid, never another exception
    assertThrows(Jwt.Invalid.class, () -> hs256().verify(token));
  }

  @Test
  void nullTokenIsInvalid() {
    // a missing token is Invalid, not a NullPointerException
    assertThrows(Jwt.Invalid.class, () -> hs256().verify(null));
  }

  @Test
  void validlySignedButNonObjectClaimsAreInvalid() {
    // a correctly signed token whose payload is JSON but not an object is Invalid, not a crash
    for (String payload : List.of("null", "[]", "\"alice\"", "42")) {
      String token = resignHs256(b64("{\"alg\":\"HS256\"}"), b64(payload));
      assertThrows(Jwt.Invalid.class, () -> hs256().verify(token), payload);
    }
  }

  @Test
  void badSignatureEncodingIsInvalid() {
    // a signature part that is not base64url is Invalid
    String[] parts = hs(claims("alice")).split("\\.");
    assertThrows(Jwt.Invalid.class, () -> hs256().verify(parts[0] + "." + parts[1] + ".***"));
  }

  // ---- API keys ----

  static final ApiKeys KEYS = new ApiKeys(List.of(
      new HeraldConfig.ApiKey("admin", "admin-key-0123456789", Set.of("admin", "ingest")),
      new HeraldConfig.ApiKey("ingest", "ingest-key-0123456789", Set.of("ingest"))));

  @Test
  void apiKeysFindTheMatchingKey() {
    // each configured key resolves to its own name and scopes
    Principal admin = KEYS.find("admin-key-0123456789");
    assertEquals("admin", admin.name());
    assertEquals(Set.of("admin", "ingest"), admin.scopes());
    assertTrue(admin.hasScope("admin"));
    Principal ingest = KEYS.find("ingest-key-0123456789");
    assertEquals("ingest", ingest.name());
    assertEquals(Set.of("ingest"), ingest.scopes());
    assertTrue(!ingest.isUser() && !ingest.hasScope("admin"));
  }

  @Test
  void apiKeysRefuseWrongPrefixAndExtendedKeys() {
    // a wrong key, a prefix of a key, a key with extra characters, another case or empty is not found
    assertNull(KEYS.find("wrong-key-0123456789"));
    assertNull(KEYS.find("admin-key-012345678"));
    assertNull(KEYS.find("admin-key"));
    assertNull(KEYS.find("admin-key-0123456789x"));
    assertNull(KEYS.find("ADMIN-KEY-0123456789"));
    assertNull(KEYS.find(""));
  }
}
