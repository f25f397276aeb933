#pragma once
// JSON at the HTTP edge, both ways, with nlohmann/json (fuzzed continuously upstream) doing the
// byte-level work.
//
// Writing: json_writer builds the JSON of every response (objects, arrays, strings, no spaces).
// Strings are quoted by nlohmann/json: the quote, the backslash and control characters escaped
// (and DEL, 0x7f, as \u007f), valid UTF-8 passed through as is, and each piece that is not valid
// UTF-8 (a stray byte, a sequence cut short) replaced by one U+FFFD, so the output is always
// valid JSON.
//
// Reading: request bodies are parsed by nlohmann/json's strict RFC 8259 parser (exact UTF-8:
// no overlong forms, no surrogates, no lone \u surrogate; no byte order mark, no comments, no
// text after the value), which also refuses, while it parses, a name given twice in one object,
// nesting deeper than json_nesting_max, NUL (\u0000) in a string, and a number past a double's
// range. The tree is then walked against the Cap'n Proto schema (schemas/event.capnp), which
// builds the message itself: unknown fields, a union with two members named or none, hex and
// base64 that do not check, wrong JSON types, integers out of range and unknown enum names are
// refused with a code and a message that names the JSON path. A text with several faults gets
// the first the parser meets, in text order; the walker's after that. A submission in the form
// clients send (POST /v1/events: four string fields, escapes only in the text) is read in one
// pass instead (submission_from_json), into the same value; any other text goes the way above,
// so every refusal and its message come from it. Cap'n Proto's JsonCodec
// (lenient, and in 0.9.2 wrong about \u escapes: DESIGN.md, "Known traps") only writes, in
// body_to_json. Every kj::Exception is caught and becomes an error value.
//
// Error codes: "bad_json" (not JSON), "bad_request" (a name twice, NUL, a number past a double,
// too long; wrong type, out of range, unknown enum name, null), "unknown_field",
// "ambiguous_kind", "bad_hex", "bad_base64", "bad_event" (the decoded body breaks a bound of
// ledger/core/event.h), "bad_envelope" (a part of the wrong length).
//
// Pure functions and values: safe from any thread.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/json/json_read.h"
#include "ledger/core/event.h"
#include "ledger/core/personal.h"

namespace uurwerk {

// ---------------------------------------------------------------------------------------------
// Writing.

// Builds one JSON text. Commas and colons are placed by the writer; calling it out of order
// (a value where a key is due, end_object() in an array, take() before the end) is a bug and
// asserts.
class json_writer {
public:
    json_writer& begin_object();
    json_writer& end_object();
    json_writer& begin_array();
    json_writer& end_array();
    json_writer& key(std::string_view name);

    json_writer& string(std::string_view s);
    json_writer& number(std::int64_t v);
    json_writer& boolean(bool b);
    json_writer& null();
    // A 64-bit unsigned integer as a decimal JSON string ("7"), as the API writes ids, offsets
    // and sequence numbers.
    json_writer& decimal(std::uint64_t v);
    json_writer& decimal_signed(std::int64_t v);
    // Already valid JSON (for example body_to_json's output), inserted as one value.
    json_writer& raw(std::string_view json);

    // The text; every container must be closed.
    [[nodiscard]] std::string take();

private:
    void before_value();
    std::string out_;
    struct level {
        bool object = false;
        bool empty = true;
    };
    std::vector<level> open_;
    bool key_pending_ = false;
    bool done_ = false;
};

// `s` as a JSON string literal, quotes included.
[[nodiscard]] std::string json_quote(std::string_view s);

// {"body": "<base64>", "signer": "<64 hex>", "signature": "<128 hex>"}: what POST /v1/events
// takes (the CLI and the HTTP benchmark send it).
[[nodiscard]] std::string envelope_to_json(const envelope& e);
// The same with the personal text the body commits to beside it, when there is one:
// {..., "personal": {"salt": "<32 hex>", "text": "..."}} (schemas/event.capnp: Submission).
[[nodiscard]] std::string submission_to_json(const envelope& e,
                                             const std::optional<personal_text>& personal);

// {"error": {"code": ..., "message": ...}}: the body of every error answer of the API.
[[nodiscard]] std::string error_json(errc code, std::string_view message);

// ---------------------------------------------------------------------------------------------
// Reading.

// JSON texts read are at most this many bytes (a request body); objects and arrays nest at most
// json_nesting_max deep.
inline constexpr std::size_t json_text_bytes_max = 16384;
inline constexpr std::size_t json_nesting_max = 32;

// An EventBody in JSON (see api/README.md, POST /v1/canonical) to its canonical bytes, the
// exact bytes a client signs: the JSON is built into a Cap'n Proto message and handed to
// ledger/core's canonical_body, which checks every id, key and text bound ("bad_event" when one
// is broken) and gives the one canonical form.
[[nodiscard]] result<bytes> canonical_body_from_json(std::string_view json);

// {"body": "<base64>", "signer": "<64 hex>", "signature": "<128 hex>"} to the envelope in its
// stored form (the body's bytes as they were signed). Checks the form and the lengths
// ("bad_envelope"), not the signature or the body (the node does).
[[nodiscard]] result<stored_envelope> envelope_from_json(std::string_view json);

// What POST /v1/events takes: the envelope, and the personal text its body commits to, if any
// (schemas/event.capnp: Submission). Checks the forms and lengths ("bad_envelope"; a salt that
// is not 16 bytes, "personal_data_mismatch"); whether the text matches the body's commitment is
// the node's to check.
struct submission {
    stored_envelope envelope;
    std::optional<personal_text> personal;
};
// The form every client sends (the four fields, strings, escapes only in the text) is read in
// one pass; any other text goes through the tree walk (submission_from_json_tree), which alone
// refuses and says why. Both read every text alike: the tests and the fuzz target hold them to it.
[[nodiscard]] result<submission> submission_from_json(std::string_view json);
// Its two halves, for the tests and the fuzz target: the one-pass reader alone (nullopt for any
// text not of that form, or whose values do not decode), and the tree walk alone, the reference.
[[nodiscard]] std::optional<submission> plain_submission_from_json(std::string_view json);
[[nodiscard]] result<submission> submission_from_json_tree(std::string_view json);

// Canonical EventBody bytes (as stored in the log) to their JSON, in the same form
// canonical_body_from_json reads. Errors: "bad_event" when the bytes are not a message.
[[nodiscard]] result<std::string> body_to_json(byte_view canonical_body);

// Any JSON text into a json_value tree (api/json/json_read.h), as strictly as the request bodies
// but with no size limit (Cap'n Proto 0.9.2's own parser mis-decodes \u escapes). Errors:
// "bad_json" saying where; "bad_request" for a name twice, NUL, a number past a double's range.
[[nodiscard]] result<json_value> parse_json_value(std::string_view text);

}  // namespace uurwerk
