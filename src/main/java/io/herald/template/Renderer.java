package io.herald.template;

import com.samskivert.mustache.BasicCollector;
import com.samskivert.mustache.Mustache;
import com.samskivert.mustache.MustacheException;
import io.herald.HeraldException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Renders a template's parts with JMustache, logic-less: variables, dotted names, sections over
 * lists and objects, inverted sections. A missing variable renders as an empty string and a missing
 * section as false. Data is read as JSON only (maps and lists, no Java reflection), and only the
 * e-mail HTML escapes what it inserts. Compiled templates are immutable and safe to share between
 * threads; rendering does no I/O and may run on an event loop.
 */
public final class Renderer {
  /** Reads maps and lists only: a template cannot call Java methods on the data. */
  private static final Mustache.Collector JSON_ONLY = new BasicCollector() {
    @Override
    public <K, V> Map<K, V> createFetcherCache() {
      return new ConcurrentHashMap<>();
    }
  };
  private static final Mustache.Compiler BASE = Mustache.compiler().withCollector(JSON_ONLY).emptyStringIsFalse(true);
  private static final Mustache.Compiler TEXT = BASE.escapeHTML(false).defaultValue("");
  private static final Mustache.Compiler HTML = BASE.escapeHTML(true).defaultValue("");
  /** Sample-data checks: a name the data lacks fails (a name present with null is fine). */
  private static final Mustache.Compiler STRICT_TEXT = BASE.escapeHTML(false).nullValue("").strictSections(true);
  private static final Mustache.Compiler STRICT_HTML = BASE.escapeHTML(true).nullValue("").strictSections(true);

  private Renderer() {
  }

  /**
   * Renders every part of {@code template}'s channels for {@code locale} ({@code fr-CA} falls back
   * to {@code fr}, then to the default channels, part by part; null means the default) with
   * {@code data} (may be null). Never fails for missing data: absent variables come out empty.
   */
  public static Rendered render(Template template, String locale, JsonObject data) {
    Template.Resolution resolution = template.resolve(locale);
    Map<String, Object> model = model(data);
    EnumMap<Part, String> out = new EnumMap<>(Part.class);
    resolution.sources().forEach((part, source) -> out.put(part, source.compiled().execute(model)));
    return new Rendered(resolution.locale(), template.channelNames(), out);
  }

  /** A variable (or section) a part uses and the data lacks, where the part says so. */
  public record Missing(String field, String variable, int line) {
    public JsonObject toJson() {
      return new JsonObject().put("field", field).put("variable", variable).put("line", line);
    }
  }

  /** The first variable each part of {@code sources} uses that {@code data} lacks; empty when nothing is missing. */
  static List<Missing> missing(Map<Part, Variant.Source> sources, JsonObject data) {
    Map<String, Object> model = model(data);
    List<Missing> out = new ArrayList<>();
    sources.forEach((part, source) -> {
      Mustache.Compiler strict = part.escapesHtml() ? STRICT_HTML : STRICT_TEXT;
      try {
        strict.compile(source.text()).execute(model);
      } catch (MustacheException.Context e) {
        out.add(new Missing(source.field(), e.key, e.lineNo));
      } catch (MustacheException e) {
        throw new HeraldException(400, "invalid_template", source.field(), source.field() + ": cannot render: " + e.getMessage());
      }
    });
    return out;
  }

  /**
   * Compiles one part's source, or refuses it with a 400 naming {@code field} and the line (and
   * column, when known) of the mistake.
   */
  static com.samskivert.mustache.Template compile(Part part, String field, String source) {
    com.samskivert.mustache.Template compiled;
    try {
      compiled = (part.escapesHtml() ? HTML : TEXT).compile(source);
    } catch (MustacheException e) {
      throw invalid(field, "does not compile: " + e.getMessage().replaceFirst(" @ line (\\d+)$", " (line $1)"));
    } catch (RuntimeException e) {
      // JMustache's parser trips over some malformed tags (an empty "{{}}") with an index error
      throw invalid(field, "does not compile: malformed tag");
    }
    compiled.visit(new Mustache.Visitor() {
      @Override
      public void visitText(String text) {
        int open = text.indexOf("{{");
        if (open >= 0) {
          int at = Math.max(0, source.indexOf(text)) + open;
          int line = 1 + (int) source.substring(0, at).chars().filter(c -> c == '\n').count();
          int column = at - source.lastIndexOf('\n', at - 1);
          throw invalid(field, "does not compile: a tag opened with {{ is never closed (line " + line + ", column " + column + ")");
        }
      }

      @Override
      public void visitVariable(String name) {
      }

      @Override
      public boolean visitInclude(String name) {
        throw invalid(field, "partials ({{> " + name + "}}) are not supported: a template is self-contained");
      }

      @Override
      public boolean visitParent(String name) {
        throw invalid(field, "parent templates ({{< " + name + "}}) are not supported: a template is self-contained");
      }

      @Override
      public boolean visitSection(String name) {
        return true;
      }

      @Override
      public boolean visitInvertedSection(String name) {
        return true;
      }
    });
    return compiled;
  }

  private static HeraldException invalid(String field, String message) {
    return new HeraldException(400, "invalid_template", field, field + ": " + message);
  }

  /** JSON as plain maps and lists, the only shapes the collector reads. */
  static Map<String, Object> model(JsonObject data) {
    Map<String, Object> out = new LinkedHashMap<>();
    if (data != null) {
      data.forEach(e -> out.put(e.getKey(), plain(e.getValue())));
    }
    return out;
  }

  private static Object plain(Object value) {
    if (value instanceof JsonObject o) {
      return model(o);
    }
    if (value instanceof Map<?, ?> m) {
      return model(new JsonObject(castMap(m)));
    }
    if (value instanceof JsonArray a) {
      List<Object> list = new ArrayList<>(a.size());
      a.forEach(v -> list.add(plain(v)));
      return list;
    }
    if (value instanceof List<?> l) {
      return plain(new JsonArray(new ArrayList<>(l)));
    }
    return value;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> castMap(Map<?, ?> m) {
    return (Map<String, Object>) m;
  }
}
