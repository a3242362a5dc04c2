package io.herald;

/**
 * A failure with an HTTP status and a stable error code, written by one failure handler as
 * {@code {"error": {"code", "message", "field"}}}. 4xx are the caller's problem and are logged
 * without stack traces.
 */
public class HeraldException extends RuntimeException {
  private final int status;
  private final String code;
  private final String field;

  public HeraldException(int status, String code, String field, String message) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
    this.field = field;
  }

  public static HeraldException invalid(String field, String message) {
    return new HeraldException(400, "invalid_field", field, field + ": " + message);
  }

  public static HeraldException badRequest(String code, String message) {
    return new HeraldException(400, code, null, message);
  }

  public static HeraldException unauthorized(String message) {
    return new HeraldException(401, "unauthorized", null, message);
  }

  public static HeraldException forbidden(String message) {
    return new HeraldException(403, "forbidden", null, message);
  }

  public static HeraldException notFound(String message) {
    return new HeraldException(404, "not_found", null, message);
  }

  public static HeraldException unavailable(String message) {
    return new HeraldException(503, "unavailable", null, message);
  }

  public int status() {
    return status;
  }

  public String code() {
    return code;
  }

  public String field() {
    return field;
  }
}
