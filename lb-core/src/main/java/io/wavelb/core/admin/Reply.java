package io.wavelb.core.admin;

import io.netty.handler.codec.http.HttpResponseStatus;
import io.wavelb.json.Json;
import java.util.LinkedHashMap;
import java.util.Map;

/** An answer: status, content type, body and extra headers. */
record Reply(HttpResponseStatus status, String contentType, String body, Map<String, String> headers) {

    static Reply json(HttpResponseStatus status, Object body) {
        return new Reply(status, "application/json", Json.write(body) + "\n", Map.of());
    }

    static Reply error(HttpResponseStatus status, String message) {
        return json(status, Map.of("error", message));
    }

    static Reply text(HttpResponseStatus status, String body) {
        return new Reply(status, "text/plain; charset=utf-8", body, Map.of());
    }

    Reply with(String header, String value) {
        Map<String, String> h = new LinkedHashMap<>(headers);
        h.put(header, value);
        return new Reply(status, contentType, body, h);
    }
}
