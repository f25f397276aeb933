#pragma once
// An event on its way to the log or read back from it, with what the fold needs of it: its
// stored bytes, its body decoded (exact form), the signer, the SHA-256 of the body and the
// Merkle leaf hash of the stored bytes.
//
// `verified_event` carries "the signature was checked" from whoever checked it (the ingest path,
// on the submitter's thread) to the fold, which then need not check it again: only verify()
// makes one with a signature check, and only from_own_log() without one (for a rebuild of the
// node's own log, every record of which was verified before it was appended; the name says
// the trust). Nothing else can construct it.
//
// Two steps, so that the ingest path can announce its append to the log (it needs the body's
// community for the partition) before the ~60 us of the signature check:
//   read_event:    stored_envelope -> decoded_event   (the body decoded, not yet verified)
//   verify_event:  decoded_event   -> verified_event  (the signature checked; digests made)
//
// Values; safe to move between threads. Pure but for key_cache (thread-safe).

#include "ledger/core/crypto.h"
#include "ledger/core/event.h"

namespace uurwerk {

// An envelope whose body has been decoded, but whose signature is not yet checked.
class decoded_event {
public:
    const stored_envelope& envelope() const { return envelope_; }
    const event_body& body() const { return body_; }

private:
    friend result<decoded_event> read_event(stored_envelope e, form_check form);
    friend class verified_event;
    decoded_event(stored_envelope e, event_body b) : envelope_(std::move(e)), body_(std::move(b)) {}
    stored_envelope envelope_;
    event_body body_;
};

// Decodes the envelope's body. Errors: "bad_event" (decode_body's).
[[nodiscard]] result<decoded_event> read_event(stored_envelope e,
                                               form_check form = form_check::exact);

class verified_event {
public:
    // Checks that the body is signed by the envelope's signer. Errors: "bad_signature".
    [[nodiscard]] static result<verified_event> verify(decoded_event e, key_cache& keys);
    // Without a signature check: only for a record of this node's own log, verified before it
    // was appended (projections/projector.h: signature_check::trust_local_log).
    [[nodiscard]] static verified_event from_own_log(decoded_event e);

    const stored_envelope& envelope() const { return envelope_; }
    byte_view stored() const { return envelope_.stored(); }
    const event_body& body() const { return body_; }
    const public_key& signer() const { return envelope_.signer(); }
    const digest& body_digest() const { return body_digest_; }
    const digest& leaf() const { return leaf_; }  // merkle_leaf_hash(stored())

private:
    explicit verified_event(decoded_event e);
    stored_envelope envelope_;
    event_body body_;
    digest body_digest_;
    digest leaf_;
};

}  // namespace uurwerk
