#pragma once
// Test support: an event envelope as the JSON that POST /v1/events takes ({"body", "signer",
// "signature"}), written by hand as any client would.

#include <string>

#include "ledger/core/event.h"
#include "ledger/core/personal.h"

namespace uurwerk::testing {

inline std::string envelope_json(const envelope& e) {
    return "{\"body\": \"" + to_base64(e.body) + "\", \"signer\": \"" + e.signer.hex() +
           "\", \"signature\": \"" + to_hex(e.sig.b) + "\"}";
}

// With the personal text the body commits to beside it ({"personal": {"salt", "text"}}). The
// text is put in as it is but for its line ends: tests give texts without quotes or backslashes.
inline std::string envelope_json(const envelope& e, const personal_text& personal) {
    std::string out = envelope_json(e);
    out.pop_back();  // the closing brace
    std::string text;
    for (char ch : personal.text) {
        if (ch == '\n')
            text += "\\n";
        else
            text.push_back(ch);
    }
    return out + ", \"personal\": {\"salt\": \"" + to_hex(personal.salt.b) + "\", \"text\": \"" +
           text + "\"}}";
}

// The same for an envelope as the log stores it (encode_envelope), which must decode.
inline std::string envelope_json(byte_view stored) {
    auto e = decode_envelope(stored);
    UURWERK_ASSERT(e.ok());
    return envelope_json(*e);
}

}  // namespace uurwerk::testing
