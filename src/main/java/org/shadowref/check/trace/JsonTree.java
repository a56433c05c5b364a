package org.shadowref.check.trace;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A JSON document parsed with Jackson's streaming parser into nodes that remember where they
 * were ({@link JsonLocation}) and their path from the root, so that a reader can reject a value
 * with the file, line, column and field that hold it.
 */
final class JsonTree {
  enum Kind {
    OBJECT,
    ARRAY,
    STRING,
    NUMBER,
    BOOLEAN,
    NULL
  }

  /** One value: its kind, text (scalars), fields (objects) or items (arrays), and its place. */
  static final class Node {
    final Kind kind;
    final String text;
    final Map<String, Node> fields = new LinkedHashMap<>();
    final List<Node> items = new ArrayList<>();
    final int line;
    final int column;
    final String path;
    final String source;

    Node(Kind kind, String text, JsonLocation where, String path, String source) {
      this.kind = kind;
      this.text = text;
      this.line = where.getLineNr();
      this.column = where.getColumnNr();
      this.path = path;
      this.source = source;
    }

    /** An error at this node: {@code FILE:LINE:COLUMN: PATH: message}. */
    TraceFormatException error(String message) {
      return new TraceFormatException(source + ":" + line + ":" + column + ": " + (path.isEmpty() ? "" : path + ": ") + message);
    }

    String describe() {
      switch (kind) {
        case OBJECT:
          return "an object";
        case ARRAY:
          return "an array";
        case STRING:
          return "the string \"" + text + "\"";
        case NULL:
          return "null";
        default:
          return text;
      }
    }
  }

  /** Takes the items of a streamed array one at a time, as they are parsed. */
  interface ItemSink {
    void accept(Node item) throws TraceFormatException;
  }

  private JsonTree() {}

  static Node parse(String json, String source) throws TraceFormatException {
    return parse(new JsonFactory(), json, source);
  }

  /** Parses with {@code factory}: JSON, or YAML for hand-written scenarios (same tree, same places). */
  static Node parse(JsonFactory factory, String json, String source) throws TraceFormatException {
    return parse(factory, json, source, "", item -> {});
  }

  /**
   * {@link #parse(JsonFactory, String, String)}, except that the items of the root object's array
   * field {@code streamed} go to {@code sink} as they are parsed and are not kept: the tree holds
   * that field as an empty array. A scenario of a million steps is read in the memory of one step.
   */
  static Node parse(JsonFactory factory, String json, String source, String streamed, ItemSink sink)
      throws TraceFormatException {
    try (JsonParser parser = factory.createParser(json)) {
      JsonToken first = parser.nextToken();
      if (first == null) {
        throw new TraceFormatException(source + ":1:1: the file is empty");
      }
      Node root = read(parser, "", source, streamed, sink);
      JsonToken after = parser.nextToken();
      if (after != null) {
        JsonLocation where = parser.currentTokenLocation();
        throw new TraceFormatException(
            source + ":" + where.getLineNr() + ":" + where.getColumnNr() + ": unexpected content after the end of the trace");
      }
      return root;
    } catch (JsonProcessingException e) {
      JsonLocation where = e.getLocation();
      String place = where == null ? source : source + ":" + where.getLineNr() + ":" + where.getColumnNr();
      String language = factory.getFormatName();
      throw new TraceFormatException(place + ": not valid " + language + ": " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new TraceFormatException(source + ": cannot read: " + e.getMessage());
    }
  }

  private static Node read(JsonParser parser, String path, String source) throws IOException, TraceFormatException {
    return read(parser, path, source, "", item -> {});
  }

  private static Node read(JsonParser parser, String path, String source, String streamed, ItemSink sink)
      throws IOException, TraceFormatException {
    JsonToken token = parser.currentToken();
    JsonLocation where = parser.currentTokenLocation();
    switch (token) {
      case START_OBJECT:
        {
          Node node = new Node(Kind.OBJECT, "", where, path, source);
          while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String name = parser.currentName();
            JsonLocation nameAt = parser.currentTokenLocation();
            String fieldPath = path.isEmpty() ? nullToEmpty(name) : path + "." + name;
            if (node.fields.containsKey(name)) {
              throw new TraceFormatException(
                  source + ":" + nameAt.getLineNr() + ":" + nameAt.getColumnNr() + ": " + fieldPath + ": duplicate field");
            }
            parser.nextToken();
            if (path.isEmpty() && !streamed.isEmpty() && streamed.equals(name)
                && parser.currentToken() == JsonToken.START_ARRAY) {
              node.fields.put(streamed, stream(parser, fieldPath, source, sink));
              continue;
            }
            node.fields.put(nullToEmpty(name), read(parser, fieldPath, source));
          }
          return node;
        }
      case START_ARRAY:
        {
          Node node = new Node(Kind.ARRAY, "", where, path, source);
          int index = 0;
          while (parser.nextToken() != JsonToken.END_ARRAY) {
            node.items.add(read(parser, path + "[" + index + "]", source));
            index++;
          }
          return node;
        }
      case VALUE_STRING:
        return new Node(Kind.STRING, parser.getText(), where, path, source);
      case VALUE_NUMBER_INT:
      case VALUE_NUMBER_FLOAT:
        return new Node(Kind.NUMBER, parser.getText(), where, path, source);
      case VALUE_TRUE:
      case VALUE_FALSE:
        return new Node(Kind.BOOLEAN, parser.getText(), where, path, source);
      case VALUE_NULL:
        return new Node(Kind.NULL, "null", where, path, source);
      default:
        throw new TraceFormatException(
            source + ":" + where.getLineNr() + ":" + where.getColumnNr() + ": unexpected " + token);
    }
  }

  /** An array whose items go to {@code sink} one by one; what is kept is the array, empty. */
  private static Node stream(JsonParser parser, String path, String source, ItemSink sink)
      throws IOException, TraceFormatException {
    Node node = new Node(Kind.ARRAY, "", parser.currentTokenLocation(), path, source);
    int index = 0;
    while (parser.nextToken() != JsonToken.END_ARRAY) {
      sink.accept(read(parser, path + "[" + index + "]", source));
      index++;
    }
    return node;
  }

  private static String nullToEmpty(@Nullable String text) {
    return text == null ? "" : text;
  }
}
