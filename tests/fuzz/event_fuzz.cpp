// A libFuzzer target for the envelope and body decoders of ledger/core (event.h,
// verified_event.h): the bytes every reader of the log and every submitted event goes through.
// Built with -DUURWERK_FUZZ=ON (see json_fuzz.cpp); seeds in tests/fuzz/corpus/event/.
//
// The input is read three ways, each with what must hold when it is accepted:
//   decode_body (exact)      -> encode_body gives the same bytes back; the trusted form accepts
//                               them too, as the same value; validate_body agrees
//   canonical_body           -> its output decodes exactly and is its own canonical form
//   decode_envelope (exact)  -> encode_envelope gives the same bytes back; stored_envelope::read
//                               accepts exactly what decode_envelope accepts, with the same parts,
//                               and read_event decodes its body as decode_body does
// and every refusal carries an error code and a message.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "ledger/core/event.h"
#include "ledger/core/verified_event.h"

using namespace uurwerk;

namespace {

void refused_with_a_reason(const error& e) {
    UURWERK_ASSERT(!name(e.code).empty() && !e.message.empty());
}

void body_round_trip(byte_view in) {
    auto body = decode_body(in, form_check::exact);
    if (!body) return refused_with_a_reason(body.err());
    UURWERK_ASSERT(encode_body(*body) == bytes(in.begin(), in.end()), "exact body re-encodes");
    UURWERK_ASSERT(validate_body(*body).ok());
    auto trusted = decode_body(in, form_check::trusted);
    UURWERK_ASSERT(trusted.ok() && encode_body(*trusted) == encode_body(*body),
                   "trusted accepts what exact accepts");
}

void canonical_is_a_fixpoint(byte_view in) {
    auto canon = canonical_body(in);
    if (!canon) return refused_with_a_reason(canon.err());
    auto body = decode_body(*canon, form_check::exact);
    UURWERK_ASSERT(body.ok(), "the canonical form decodes exactly");
    auto again = canonical_body(*canon);
    UURWERK_ASSERT(again.ok() && *again == *canon, "canonical_body is idempotent");
}

void envelope_round_trip(byte_view in) {
    const bytes stored(in.begin(), in.end());
    auto e = decode_envelope(in, form_check::exact);
    auto s = stored_envelope::read(stored, form_check::exact);
    UURWERK_ASSERT(e.ok() == s.ok(), "stored_envelope::read agrees with decode_envelope");
    if (!e) {
        refused_with_a_reason(e.err());
        return refused_with_a_reason(s.err());
    }
    UURWERK_ASSERT(encode_envelope(*e) == stored, "exact envelope re-encodes");
    UURWERK_ASSERT(bytes(s->stored().begin(), s->stored().end()) == stored);
    UURWERK_ASSERT(bytes(s->body().begin(), s->body().end()) == e->body);
    UURWERK_ASSERT(s->signer() == e->signer && s->sig() == e->sig);
    UURWERK_ASSERT(stored_envelope::encode(*e).stored().size() == stored.size());
    auto body = decode_body(e->body, form_check::exact);
    auto ev = read_event(std::move(*s), form_check::exact);
    UURWERK_ASSERT(ev.ok() == body.ok(), "read_event decodes the body as decode_body does");
    if (ev) UURWERK_ASSERT(encode_body(ev->body()) == e->body);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const byte_view in(data, size);
    body_round_trip(in);
    canonical_is_a_fixpoint(in);
    envelope_round_trip(in);
    return 0;
}
