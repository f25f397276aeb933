#pragma once
// Test support: an event envelope as the JSON that POST /v1/events takes ({"body", "signer",
// "signature"}), written by hand as any client would.

#include <string>

#include "ledger/core/event.h"

namespace uurwerk::testing {

inline std::string envelope_json(const envelope& e) {
    return "{\"body\": \"" + to_base64(e.body) + "\", \"signer\": \"" + e.signer.hex() +
           "\", \"signature\": \"" + to_hex(e.sig.b) + "\"}";
}

// The same for an envelope as the log stores it (encode_envelope), which must decode.
inline std::string envelope_json(byte_view stored) {
    auto e = decode_envelope(stored);
    UURWERK_ASSERT(e.ok());
    return envelope_json(*e);
}

}  // namespace uurwerk::testing
