// A libFuzzer target for api/json, the JSON on the trust boundary: the request-body decoders and
// the reader on any bytes, the writer on any string. Not part of the default build; with clang:
//
//   cmake -S . -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++-14 -DUURWERK_FUZZ=ON
//   cmake --build build-fuzz --target json_fuzz
//   build-fuzz/json_fuzz -max_len=17000 -dict=tests/fuzz/json.dict tests/fuzz/json_corpus
//
// Besides "no crash, no sanitizer report", it checks: every refusal has a code; a body that
// decodes reads back through body_to_json into the same canonical bytes; whatever the writer
// quotes is read back by parse_json_value, as itself when it was valid UTF-8 without NUL.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "api/json/json.h"

using namespace uurwerk;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);

    auto body = canonical_body_from_json(text);
    if (body) {
        auto json = body_to_json(*body);
        UURWERK_ASSERT(json.ok(), json.err().message);
        auto again = canonical_body_from_json(*json);
        UURWERK_ASSERT(again.ok() && *again == *body, *json);
    } else {
        UURWERK_ASSERT(!name(body.err().code).empty() && !body.err().message.empty());
    }

    auto envelope = envelope_from_json(text);
    if (!envelope) UURWERK_ASSERT(!name(envelope.err().code).empty());

    auto value = parse_json_value(text);
    if (!value) UURWERK_ASSERT(!name(value.err().code).empty());

    json_writer w;
    w.begin_array().string(text).end_array();
    auto back = parse_json_value(w.take());
    const bool without_nul = text.find('\0') == std::string_view::npos;
    UURWERK_ASSERT(back.ok() == without_nul, text);
    if (back.ok() && text_within(text, std::numeric_limits<std::size_t>::max()))
        UURWERK_ASSERT(back->as_array()->at(0).as_string() == std::string(text), text);
    return 0;
}
