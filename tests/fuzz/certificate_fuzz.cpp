// A libFuzzer target for the hour certificate reader (api/node/certificates.h, JSON) and its
// verification (ledger/core/certificate.h): what `uurwerk audit certificate` runs on a document
// from anyone. Built with -DUURWERK_FUZZ=ON (see json_fuzz.cpp); seeds in
// tests/fuzz/corpus/certificate/ (certificates that verify, made by make_fuzz_seeds).
//
// What must hold, besides no crash and no sanitizer report:
//   - certificate_from_json refuses with bad_certificate and a message, or accepts a document
//     whose written form (certificate_to_json) it reads again into the same written form;
//   - verify_certificate, trusting the seeds' node key, gives the same verdict on the document
//     and on its written form; a refusal names its problem; a certificate that verifies has no
//     problem, counts its claims and states the total it proves, and reports each revealed note
//     beside its claim, matching the commitment the claim signs.

#include <array>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string_view>

#include "api/node/certificates.h"

using namespace uurwerk;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto c = certificate_from_json(text);
    if (!c) {
        UURWERK_ASSERT(c.err().code == errc::bad_certificate, name(c.err().code));
        UURWERK_ASSERT(!c.err().message.empty());
        return 0;
    }
    const auto json = certificate_to_json(*c);
    auto again = certificate_from_json(json);
    UURWERK_ASSERT(again.ok(), json);
    UURWERK_ASSERT(certificate_to_json(*again) == json, "the written form is a fixpoint");

    // The node key of tests/support/certificate_log.h, which made the seeds: a seed of 0x77s.
    static const std::set<public_key> trusted = [] {
        std::array<std::uint8_t, 32> seed;
        seed.fill(0x77);
        auto k = signing_key::from_seed(seed);
        UURWERK_ASSERT(k.ok());
        return std::set<public_key>{k->public_bytes()};
    }();
    const auto report = verify_certificate(*c, trusted);
    const auto report_again = verify_certificate(*again, trusted);
    UURWERK_ASSERT(report.ok == report_again.ok && report.problem == report_again.problem);
    if (!report.ok) {
        UURWERK_ASSERT(!report.problem.empty(), "a refusal names its problem");
        return 0;
    }
    UURWERK_ASSERT(report.problem.empty());
    UURWERK_ASSERT(report.claims == c->claims.size());
    UURWERK_ASSERT(report.total.value == c->stated_total.value, "it proves the total it states");
    // Every note revealed is reported, beside its own claim, and each gives its claim's
    // commitment.
    std::size_t revealed = 0;
    for (const auto& cl : c->claims) revealed += cl.note ? 1 : 0;
    UURWERK_ASSERT(report.notes.size() == revealed, report.notes.size(), revealed);
    for (const auto& n : report.notes) {
        const auto& cl = c->claims.at(n.claim);
        UURWERK_ASSERT(cl.note && cl.note->text == n.text, n.claim);
        auto body = decode_body(decode_envelope(cl.claim.envelope)->body);
        const auto& h = std::get<hours_claimed>(body->payload);
        UURWERK_ASSERT(h.note_digest == commit_text(cl.note->salt, cl.note->text), n.claim);
    }
    return 0;
}
