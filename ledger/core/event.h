#pragma once
// The event model: plain C++ values for every kind in schemas/event.capnp, and the one place
// where they meet the wire: `encode_body` gives the canonical Cap'n Proto bytes that are signed,
// `decode_body` turns signed bytes back into a value after checking every bound and length.
// Pure functions, no state: safe from any thread.

#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "ledger/core/base.h"
#include "ledger/core/limits.h"

namespace uurwerk {

using bytes = std::vector<std::uint8_t>;
using byte_view = std::span<const std::uint8_t>;

struct event_id {
    std::array<std::uint8_t, event_id_bytes> b{};
    auto operator<=>(const event_id&) const = default;
    // Equality is what the hash maps of ids ask most (the fold looks every event's id up):
    // two 8-byte words, not a call to memcmp.
    bool operator==(const event_id& o) const noexcept {
        std::uint64_t x[2], y[2];
        std::memcpy(x, b.data(), sizeof x);
        std::memcpy(y, o.b.data(), sizeof y);
        return ((x[0] ^ y[0]) | (x[1] ^ y[1])) == 0;
    }
    bool is_zero() const;
    std::string hex() const;
};
struct public_key {
    std::array<std::uint8_t, public_key_bytes> b{};
    auto operator<=>(const public_key&) const = default;
    std::string hex() const;
};
struct signature {
    std::array<std::uint8_t, signature_bytes> b{};
    auto operator<=>(const signature&) const = default;
};
struct digest {
    std::array<std::uint8_t, digest_bytes> b{};
    auto operator<=>(const digest&) const = default;
    std::string hex() const;
};

// An event id is unique within its community, not across communities: the same 16 bytes in two
// communities are two events (nobody in one community can take, or block, an id of another).
// This is the key of everything that looks an event up by its id alone.
struct scoped_id {
    community_id community;
    event_id id;
    auto operator<=>(const scoped_id&) const = default;
    bool operator==(const scoped_id&) const = default;
    std::string hex() const { return std::to_string(community.value) + "/" + id.hex(); }
};

// The ordinals of the kinds, equal to schema::EventKind and to the body union's order.
enum class event_kind : std::uint16_t {
    community_founded = 0,
    policy_changed,
    node_key_announced,
    member_admitted,
    key_added,
    key_revoked,
    delegation_granted,
    delegation_revoked,
    member_suspended,
    member_reinstated,
    offer_posted,
    request_posted,
    post_withdrawn,
    post_hidden,
    match_proposed,
    match_accepted,
    match_declined,
    match_ended,
    hours_claimed,
    hours_confirmed,
    hours_disputed,
    transfer,
    reversal,
    endorsement,
    checkpoint,
    member_left,
    profile_updated,
    auditor_appointed,
    invitation_issued,
    invitation_redeemed,
    member_verified,
};
inline constexpr std::size_t event_kind_count = 31;
// The schema's name of a kind ("hoursClaimed"), as in JSON; and back.
std::string_view kind_name(event_kind k);
std::optional<event_kind> kind_from_name(std::string_view name);

enum class role : std::uint8_t { member = 0, coordinator = 1 };
enum class category : std::uint8_t {
    companionship = 0,
    shopping,
    dog_walking,
    childminding,
    odd_jobs,
    lifts,
    computer_help,
    meals,
    gardening,
    other,
};
inline constexpr std::size_t category_count = 10;
std::string_view category_name(category c);
std::optional<category> category_from_name(std::string_view name);
enum class intensity : std::uint8_t { once = 0, sometimes, regularly };

// The matcher's fairness knobs as a policy holds them (schemas/event.capnp, Policy @3..@13, @16,
// @18): 0 means "the default"; ledger/core/fairness_knobs.h resolves the defaults and checks the
// ranges.
struct fairness_knobs {
    bool off = false;
    std::uint32_t proposals_per_request = 0;
    std::uint32_t open_matches_max = 0;
    std::uint32_t newcomer_floor_hours = 0;
    std::uint32_t quality_floor_permille = 0;
    std::uint32_t reputation_weight_max_permille = 0;
    std::uint32_t low_reputation_proposals_min = 0;
    std::uint32_t reputation_half_life_days = 0;
    std::uint32_t request_wait_hours_max = 0;
    std::uint32_t silence_floor_hours = 0;
    std::uint32_t silent_proposals_max = 0;
    std::uint32_t unmatched_first_proposals = 0;
    std::uint32_t match_silence_hours = 0;  // 0: no such rule (the default)
    bool operator==(const fairness_knobs&) const = default;
};

// Who may read a community's impact figures (schemas/event.capnp, Policy.publicImpact).
enum class impact_page : std::uint8_t { closed = 0, open = 1 };

struct policy {
    minutes credit_limit{600};   // balance may go down to -credit_limit
    minutes balance_max{6000};   // balance may go up to balance_max
    minutes claim_max{24 * 60};  // largest single claim or transfer
    fairness_knobs fairness{};   // as signed: zeros mean defaults
    // Days after a match ends that its two people may still read each other's contact details
    // (api/README.md, "Who may read what"), as signed: 0 means contact_window_days_default.
    std::uint32_t contact_window_days = 0;
    // Days after a post closed or a claim settled (the log's clock) that their texts are kept
    // in the personal-data store before the node deletes them (ledger/core/retention.h), as
    // signed: 0 means retention_days_default.
    std::uint32_t retention_days = 0;
    // Whether anyone may read the community's impact figures on its public page (api/README.md,
    // "The public impact page"), or only its coordinators and auditors (closed: every policy
    // written before it).
    impact_page public_impact = impact_page::closed;
    bool operator==(const policy&) const = default;
};
inline constexpr std::uint32_t contact_window_days_default = 30;
inline constexpr std::uint32_t contact_window_days_max = 365;
[[nodiscard]] inline std::uint32_t contact_window_days_of(const policy& p) {
    return p.contact_window_days == 0 ? contact_window_days_default : p.contact_window_days;
}
// Two years by default: long enough to answer a question about an exchange or to settle a late
// dispute over it, short enough that an old story does not follow a member. At most ten years:
// the longest any Dutch record-keeping duty asks of an exchange's trace (the fiscal seven, with
// room), and the texts are not that trace (the log keeps the hours, the dates and the
// signatures for ever); at least a day, so a mistyped 0 hours cannot wipe a week's posts.
inline constexpr std::uint32_t retention_days_default = 730;
inline constexpr std::uint32_t retention_days_max = 3650;
[[nodiscard]] inline std::uint32_t retention_days_of(const policy& p) {
    return p.retention_days == 0 ? retention_days_default : p.retention_days;
}

struct community_founded {
    std::string name;
    policy rules;
};
struct policy_changed {
    policy rules;
};
struct node_key_announced {
    public_key key;
};
struct member_admitted {
    member_id member;
    std::optional<public_key> key;  // none: a member with no key, served through a proxy
    role member_role = role::member;
    bool verified = false;
    std::optional<digest> profile_digest = std::nullopt;
};
struct key_added {
    member_id member;
    public_key key;
};
struct key_revoked {
    member_id member;  // community_fund (0) for a node key
    public_key key;
};
struct delegation_granted {
    member_id delegate;
    std::vector<event_kind> kinds;
    time_ms until;
    std::optional<member_id> grantor =
        std::nullopt;  // a proxy's keyless member (a coordinator signs)
};
struct delegation_revoked {
    member_id delegate;
    std::optional<member_id> grantor =
        std::nullopt;  // a proxy's keyless member (a coordinator signs)
};
// A free text's commitment (ledger/core/personal.h): the text itself never enters the log.
using text_commitment = std::optional<digest>;

struct member_suspended {
    member_id member;
    text_commitment reason_digest;
};
struct member_reinstated {
    member_id member;
};
struct member_verified {
    member_id member;
};
struct member_left {
    member_id member;
};
// The member's new profile: only its commitment (ledger/core/profile.h, personal.h).
struct profile_updated {
    member_id member;
    digest profile_digest;
};
// A coordinator appoints an auditor (a key, not a member) until `until`; an end at or before the
// event's log time ends the appointment (schemas/event.capnp, AuditorAppointed).
struct auditor_appointed {
    public_key key;
    time_ms until;
};
// The longest appointment, counted from the log's time of the event that makes it.
inline constexpr std::int64_t auditor_term_ms_max = std::int64_t{366} * 24 * 3600 * 1000;
// Invitations (schemas/event.capnp, InvitationIssued and InvitationRedeemed; ledger/core/RULES.md,
// "Invitations"). The invitation's id is the id of the event that issued it.
enum class invitation_purpose : std::uint8_t { join = 0, add_device, replace_keys };
inline constexpr std::size_t invitation_purpose_count = 3;
// "join", "add_device", "replace_keys" (as the HTTP API and the CLI name them); and back.
std::string_view purpose_name(invitation_purpose p);
std::optional<invitation_purpose> purpose_from_name(std::string_view name);
inline constexpr std::size_t invitation_code_bytes = 16;
using invitation_code = std::array<std::uint8_t, invitation_code_bytes>;
struct invitation_issued {
    invitation_purpose purpose = invitation_purpose::join;
    member_id member;                 // join: the newcomer; else an existing member
    role member_role = role::member;  // join only (decode refuses another for the others)
    bool verified = false;            // join only
    digest code_digest;               // ledger/core/crypto.h: invitation_code_digest
    time_ms until;                    // expiry on the log's clock (exclusive)
};
// The longest an invitation may stay open, counted from the log's time of the event issuing it.
inline constexpr std::int64_t invitation_term_ms_max = std::int64_t{30} * 24 * 3600 * 1000;
// Signed by the new key as `author` = the invitation's member, seq 1, no onBehalfOf (decode
// refuses anything else).
struct invitation_redeemed {
    event_id invitation;
    invitation_code code;
};
struct post_body {
    category what = category::other;
    text_commitment text_digest;
    intensity how_often = intensity::once;
    std::string area;
    std::uint32_t availability = 0;
};
struct offer_posted : post_body {};
struct request_posted : post_body {};
struct post_withdrawn {
    event_id post;
};
struct post_hidden {
    event_id post;
    text_commitment reason_digest;
};
struct match_proposed {
    event_id request;
    event_id offer;
    member_id helper;
    std::uint32_t round = 0;
    std::uint32_t rank = 0;
    std::uint32_t round_size = 0;  // 0 in events from before it existed: read as rank + 1
    std::uint64_t basis = 0;       // the community's event count the matcher read
};
struct match_accepted {
    event_id match;
};
struct match_declined {
    event_id match;
};
struct match_ended {
    event_id match;
};
struct hours_claimed {
    member_id receiver;
    minutes amount;
    std::optional<event_id> post;
    text_commitment note_digest;
};
struct hours_confirmed {
    event_id claim;
};
struct hours_disputed {
    event_id claim;
    text_commitment reason_digest;
};
struct transfer {
    member_id to;
    minutes amount;
    text_commitment note_digest;
};
struct reversal {
    event_id target;
    text_commitment reason_digest;
};
struct endorsement {
    member_id member;
    event_id claim;
    text_commitment text_digest;
};
struct checkpoint {
    std::uint64_t tree_size = 0;
    digest root;
    time_ms timestamp;
    // The verdict tree's root at tree_size (ledger/core/audit.h: verdict_leaf_hash); absent only in
    // checkpoints signed before it existed, which the rules reject.
    std::optional<digest> verdict_root = std::nullopt;
};

// The alternatives are in event_kind order: `payload.index()` is the kind's ordinal.
using event_payload =
    std::variant<community_founded, policy_changed, node_key_announced, member_admitted, key_added,
                 key_revoked, delegation_granted, delegation_revoked, member_suspended,
                 member_reinstated, offer_posted, request_posted, post_withdrawn, post_hidden,
                 match_proposed, match_accepted, match_declined, match_ended, hours_claimed,
                 hours_confirmed, hours_disputed, transfer, reversal, endorsement, checkpoint,
                 member_left, profile_updated, auditor_appointed, invitation_issued,
                 invitation_redeemed, member_verified>;
static_assert(std::variant_size_v<event_payload> == event_kind_count);

struct event_body {
    event_id id;
    community_id community;
    member_id author;
    sequence seq;
    time_ms created_at;
    std::optional<member_id> on_behalf_of;
    event_payload payload;

    event_kind kind() const { return static_cast<event_kind>(payload.index()); }
    // The member the event acts for: on_behalf_of when set, else the author.
    member_id actor() const { return on_behalf_of.value_or(author); }
};

// Canonical Cap'n Proto bytes of `body` (what is signed). Encodes any value; bounds are checked
// by decode_body (and validate_body), which every reader of signed bytes goes through.
[[nodiscard]] bytes encode_body(const event_body& body);

// How strictly decoding checks the form of the bytes.
//   exact    only the bytes encode_* writes for the decoded value (Cap'n Proto's canonical form
//            still allows unused bits, unknown fields and null texts: a second encoding of one
//            value), so that one event has one signed form. For every byte from outside.
//   trusted  Cap'n Proto's canonical check only, without encoding the value again to compare:
//            for bytes that passed `exact` before this node appended them to its own log, and
//            whose CRC shows them unchanged since (a rebuild reads a million of them).
enum class form_check : std::uint8_t { exact, trusted };

// Parses and validates signed bytes: canonical form, single segment, every id/key/digest of its
// exact length, texts within bounds and valid UTF-8, enums known. Errors have code
// "bad_event" and say which field.
[[nodiscard]] result<event_body> decode_body(byte_view canonical,
                                             form_check form = form_check::exact);

// The one canonical form: a body given as Cap'n Proto's canonical layout (capnp::canonicalize)
// of a message built in any way (texts left out, optional ids or keys given empty), decoded,
// checked as decode_body checks, and encoded as encode_body writes it: the bytes a client signs.
// What api/json makes of an EventBody in JSON ends here. Errors: "bad_event".
[[nodiscard]] result<bytes> canonical_body(byte_view one_segment);

// Checks the bounds of a body without encoding (the same checks decode_body applies).
[[nodiscard]] result<void> validate_body(const event_body& body);

// The signed unit: body bytes, signer key, signature.
struct envelope {
    bytes body;
    public_key signer;
    signature sig;
};

// The stored form of an envelope (a Cap'n Proto Envelope message, canonical). decode rejects
// anything over envelope_bytes_max, so writers check the size of what encode returns.
[[nodiscard]] bytes encode_envelope(const envelope& e);
[[nodiscard]] result<envelope> decode_envelope(byte_view stored,
                                               form_check form = form_check::exact);

// An envelope in the form the log stores it, with its parts at hand (the body as a view into the
// stored bytes, not a copy). Made only by encoding parts (`encode`, the one encoding of an event
// on its way to the log) or by reading stored bytes (`read`, which checks them as
// decode_envelope does), so the bytes and the parts always agree and nobody needs to encode the
// envelope again. Owns its bytes; a value, safe to move between threads.
class stored_envelope {
public:
    [[nodiscard]] static stored_envelope encode(byte_view body, const public_key& signer,
                                                const signature& sig);
    [[nodiscard]] static stored_envelope encode(const envelope& e) {
        return encode(e.body, e.signer, e.sig);
    }
    // Errors: "bad_event"/"bad_envelope" as decode_envelope's.
    [[nodiscard]] static result<stored_envelope> read(bytes stored,
                                                      form_check form = form_check::exact);

    byte_view stored() const { return stored_; }
    byte_view body() const { return byte_view(stored_).subspan(body_at_, body_size_); }
    const public_key& signer() const { return signer_; }
    const signature& sig() const { return sig_; }
    // The stored bytes, taken out (the envelope is empty after).
    [[nodiscard]] bytes take_stored() && { return std::move(stored_); }

private:
    stored_envelope() = default;
    bytes stored_;
    std::size_t body_at_ = 0, body_size_ = 0;
    public_key signer_;
    signature sig_;
};

// Hex helpers shared by every module (lower-case; decode rejects odd lengths and non-hex).
std::string to_hex(byte_view b);
[[nodiscard]] result<bytes> from_hex(std::string_view s);
template <std::size_t N>
[[nodiscard]] result<std::array<std::uint8_t, N>> fixed_from_hex(std::string_view s,
                                                                 std::string_view what) {
    auto b = from_hex(s);
    if (!b || b->size() != N)
        return make_error(errc::bad_hex, std::string(what) + " must be " + std::to_string(N * 2) +
                                             " hex characters");
    std::array<std::uint8_t, N> out{};
    std::copy(b->begin(), b->end(), out.begin());
    return out;
}
std::string to_base64(byte_view b);
[[nodiscard]] result<bytes> from_base64(std::string_view s);

// True when `s` is valid UTF-8 of at most `chars_max` code points.
bool text_within(std::string_view s, std::size_t chars_max);

}  // namespace uurwerk

namespace uurwerk {

// Hashing of ids and keys that members choose, for the hash maps of the state.
//
// Event ids are chosen by clients, and need not be random: a client may count, or put a time
// first (as UUIDv7 does), and so all 16 bytes are hashed. And a member may choose ids that
// collide on purpose: with any fixed hash function they can be computed offline (the former
// one, MurmurHash3's finalizer on each half, is invertible), and every such event, accepted or
// rejected, stays in the log and in `seen`, so each lookup of the fold would walk them all, in
// every replay, for ever. So the hash is keyed with a key each process draws at random on first
// use (NH, the universal hash of UMAC: the 128-bit product of the two halves, each plus a key
// word, folded to 64 bits): without the key, ids that collide are as rare as random ones.
// Nothing may depend on the order of a hash map (it differs between processes anyway); every
// reader that needs an order sorts.
struct id_hash_key {
    std::uint64_t k0, k1;
};
[[nodiscard]] const id_hash_key& process_hash_key();

[[nodiscard]] inline std::size_t keyed_hash(std::uint64_t lo, std::uint64_t hi) noexcept {
    const auto& k = process_hash_key();
    const unsigned __int128 product =
        static_cast<unsigned __int128>(lo + k.k0) * static_cast<unsigned __int128>(hi + k.k1);
    return static_cast<std::size_t>(static_cast<std::uint64_t>(product >> 64) ^
                                    static_cast<std::uint64_t>(product));
}
[[nodiscard]] inline std::size_t keyed_hash(const std::uint8_t* bytes16) noexcept {
    std::uint64_t lo, hi;
    std::memcpy(&lo, bytes16, sizeof lo);
    std::memcpy(&hi, bytes16 + 8, sizeof hi);
    return keyed_hash(lo, hi);
}

}  // namespace uurwerk

template <>
struct std::hash<uurwerk::event_id> {
    std::size_t operator()(const uurwerk::event_id& id) const noexcept {
        return uurwerk::keyed_hash(id.b.data());
    }
};
// A scoped id: the id's keyed hash, and the community's, combined; the community goes through
// the keyed hash too, so nobody can choose an id of theirs that collides with another
// community's id.
template <>
struct std::hash<uurwerk::scoped_id> {
    std::size_t operator()(const uurwerk::scoped_id& s) const noexcept {
        const std::uint64_t c = s.community.value;
        return uurwerk::keyed_hash(s.id.b.data()) ^
               uurwerk::keyed_hash(c, (c << 32) | (c >> 32)) * 0x9e3779b97f4a7c15ull;
    }
};
// Public keys are the members' too (a key can be ground until it collides with a fixed hash):
// the first 16 bytes, keyed the same way.
template <>
struct std::hash<uurwerk::public_key> {
    std::size_t operator()(const uurwerk::public_key& k) const noexcept {
        return uurwerk::keyed_hash(k.b.data());
    }
};
// Digests are SHA-256 outputs: nobody chooses their bytes.
template <>
struct std::hash<uurwerk::digest> {
    std::size_t operator()(const uurwerk::digest& d) const noexcept {
        std::size_t h;
        std::memcpy(&h, d.b.data(), sizeof h);
        return h;
    }
};
