package org.shadowref.check.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The published schema and the reader agree: examples pass both; what the schema rejects, the reader does too. */
class ScenarioSchemaTest {
  private static final JsonSchema SCHEMA = load();

  private static JsonSchema load() {
    try {
      JsonNode schema = new ObjectMapper().readTree(Files.readString(Path.of("examples/scenario.schema.json")));
      return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(schema);
    } catch (Exception e) {
      throw new IllegalStateException("cannot load the scenario schema", e);
    }
  }

  @Test
  void everyExampleValidatesAgainstThePublishedSchema() throws Exception {
    for (Path file : ExamplesTest.exampleFiles()) {
      JsonNode document = new YAMLMapper().readTree(file.toFile());
      Set<ValidationMessage> errors = SCHEMA.validate(document);
      assertEquals(Set.of(), errors, file.toString());
    }
  }

  @Test
  void whatTheSchemaRejectsTheReaderRejects() throws Exception {
    String[] broken = {
      // unknown guest field
      "format: shadowref-scenario\nversion: 1\nname: a\ncase: a\nguest: {mode: 4level, colour: red}\nsteps: []\n",
      // access without kind
      "format: shadowref-scenario\nversion: 1\nname: a\ncase: a\nguest: {mode: 4level}\n"
          + "steps: [{op: access, vcpu: 0, va: 0x1000, user: true}]\n",
      // bad expectation status
      "format: shadowref-scenario\nversion: 1\nname: a\ncase: a\nguest: {mode: 4level}\n"
          + "steps: [{op: flush, vcpu: 0, expect: {status: fine}}]\n",
    };
    for (String yaml : broken) {
      assertFalse(SCHEMA.validate(new YAMLMapper().readTree(yaml)).isEmpty(), yaml);
      assertThrows(TraceFormatException.class, () -> ScenarioReader.read(yaml, "b.yaml", true), yaml);
    }
  }
}
