package io.wavelb.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {

    @Test
    void parsesEveryKindOfValue() throws Exception {
        Object v = Json.parse(" {\"a\": [1, -2.5e1, true, false, null, \"x\\\"y\\u00e9\\n\"], \"b\": {}} ");
        assertThat(v).isEqualTo(Map.of("a", Arrays.asList(1L, -25.0, true, false, null, "x\"yé\n"), "b", Map.of()));
    }

    @Test
    void errorsNameWhatWasExpectedAndTheOffset() {
        assertThatThrownBy(() -> Json.parse("{\"a\": 1 \"b\": 2}"))
                .hasMessage("expected ',' or '}' at offset 8, found '\"'");
        assertThatThrownBy(() -> Json.parse("[1,]")).hasMessage("expected a value at offset 3, found ']'");
        assertThatThrownBy(() -> Json.parse("{\"a\":1}x")).hasMessage("expected end of input at offset 7, found 'x'");
        assertThatThrownBy(() -> Json.parse("\"abc")).hasMessageContaining("closing the string");
        assertThatThrownBy(() -> Json.parse("012")).hasMessageContaining("no leading zero");
        assertThatThrownBy(() -> Json.parse("{\"a\":1,\"a\":2}")).hasMessage("duplicate key \"a\" at offset 7");
        assertThatThrownBy(() -> Json.parse("")).hasMessage("expected a value at offset 0, found end of input");
    }

    @Test
    void deepNestingIsRefused() {
        assertThatThrownBy(() -> Json.parse("[".repeat(100) + "]".repeat(100))).hasMessageContaining("nesting deeper than 32");
    }

    @Test
    void writesWhatItReads() throws Exception {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("s", "quote\" backslash\\ tab\t ctl\u0001");
        m.put("n", 42L);
        m.put("l", List.of(true, 1.5));
        m.put("z", null);
        String text = Json.write(m);
        assertThat(text).isEqualTo("{\"s\":\"quote\\\" backslash\\\\ tab\\t ctl\\u0001\",\"n\":42,\"l\":[true,1.5],\"z\":null}");
        assertThat(Json.parse(text)).isEqualTo(m);
    }

    @Test
    void aRepeatedKeyIsRefusedUnlessTheLastIsAskedToWin() throws Exception {
        String report = "{\"sock_bufsize\": 1, \"n\": {\"a\": 1, \"a\": 2}, \"sock_bufsize\": 3}";
        assertThatThrownBy(() -> Json.parse(report)).hasMessage("duplicate key \"a\" at offset 34");
        assertThat(Json.parse(report, Json.DuplicateKeys.LAST_WINS))
                .isEqualTo(Map.of("sock_bufsize", 3L, "n", Map.of("a", 2L)));
    }

    @Test
    void typedReadsSayWhatWasFoundInstead() throws Exception {
        Map<String, Object> root = Json.object(Json.parse("{\"n\": 2, \"s\": \"x\", \"l\": [1]}"), "body");
        assertThat(Json.number(root, "n")).contains(2.0);
        assertThat(Json.number(root, "s")).isEmpty();
        assertThat(Json.number(root, "missing")).isEmpty();
        assertThat(Json.string(root, "s")).contains("x");
        assertThat(Json.array(root.get("l"), "body.l")).containsExactly(1L);
        assertThatThrownBy(() -> Json.object(Json.parse("[]"), "GET /v1/load"))
                .hasMessage("GET /v1/load is an array, expected an object");
        assertThatThrownBy(() -> Json.array(root.get("s"), "body.s")).hasMessage("body.s is a string, expected an array");
        assertThatThrownBy(() -> Json.array(null, "body.x")).hasMessage("body.x is null, expected an array");
    }
}
