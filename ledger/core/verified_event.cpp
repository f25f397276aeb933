#include "ledger/core/verified_event.h"

#include "ledger/core/merkle.h"

namespace uurwerk {

result<decoded_event> read_event(stored_envelope e, form_check form) {
    auto body = decode_body(e.body(), form);
    if (!body) return body.err();
    return decoded_event(std::move(e), std::move(*body));
}

verified_event::verified_event(decoded_event e)
    : envelope_(std::move(e.envelope_)),
      body_(std::move(e.body_)),
      body_digest_(sha256({envelope_.body()})),
      leaf_(merkle_leaf_hash(envelope_.stored())) {}

result<verified_event> verified_event::verify(decoded_event e, key_cache& keys) {
    const auto& env = e.envelope();
    if (!keys.verify_signed_body(env.signer(), env.body(), env.sig()))
        return make_error(errc::bad_signature,
                          "the signature does not verify for signer " + env.signer().hex() +
                              " over this body (sign \"uurwerk/event/v1\" followed by the body)");
    return verified_event(std::move(e));
}

verified_event verified_event::from_own_log(decoded_event e) {
    return verified_event(std::move(e));
}

}  // namespace uurwerk
