#include "ledger/core/event.h"

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/exception.h>

#include <algorithm>
#include <cstring>
#include <random>

#include "schemas/event.capnp.h"

namespace uurwerk {

const id_hash_key& process_hash_key() {
    // Drawn once, on first use (thread-safe static initialization), from the system's
    // randomness (std::random_device is getrandom() on Linux).
    static const id_hash_key key = [] {
        std::random_device r;
        auto word = [&] { return std::uint64_t{r()} << 32 | r(); };
        return id_hash_key{word(), word()};
    }();
    return key;
}
namespace {

namespace s = schema;

constexpr std::array<std::string_view, event_kind_count> kind_names = {
    "communityFounded", "policyChanged",      "nodeKeyAnnounced",  "memberAdmitted",
    "keyAdded",         "keyRevoked",         "delegationGranted", "delegationRevoked",
    "memberSuspended",  "memberReinstated",   "offerPosted",       "requestPosted",
    "postWithdrawn",    "postHidden",         "matchProposed",     "matchAccepted",
    "matchDeclined",    "matchEnded",         "hoursClaimed",      "hoursConfirmed",
    "hoursDisputed",    "transfer",           "reversal",          "endorsement",
    "checkpoint",       "memberLeft",         "profileUpdated",    "auditorAppointed",
    "invitationIssued", "invitationRedeemed", "memberVerified",
};

constexpr std::array<std::string_view, invitation_purpose_count> purpose_names = {
    "join",
    "add_device",
    "replace_keys",
};

constexpr std::array<std::string_view, category_count> category_names = {
    "companionship", "shopping",     "dogWalking", "childminding", "oddJobs",
    "lifts",         "computerHelp", "meals",      "gardening",    "other",
};

// The schema's union order and EventKind enum must agree with event_kind.
static_assert(static_cast<int>(s::EventKind::CHECKPOINT) ==
              static_cast<int>(event_kind::checkpoint));
static_assert(static_cast<int>(s::EventBody::Which::CHECKPOINT) ==
              static_cast<int>(event_kind::checkpoint));
static_assert(static_cast<int>(s::EventBody::Which::COMMUNITY_FOUNDED) == 0);
static_assert(static_cast<int>(s::EventKind::MEMBER_LEFT) ==
              static_cast<int>(event_kind::member_left));
static_assert(static_cast<int>(s::EventBody::Which::MEMBER_LEFT) ==
              static_cast<int>(event_kind::member_left));
static_assert(static_cast<int>(s::EventKind::PROFILE_UPDATED) ==
              static_cast<int>(event_kind::profile_updated));
static_assert(static_cast<int>(s::EventBody::Which::PROFILE_UPDATED) ==
              static_cast<int>(event_kind::profile_updated));
static_assert(static_cast<int>(s::EventKind::AUDITOR_APPOINTED) ==
              static_cast<int>(event_kind::auditor_appointed));
static_assert(static_cast<int>(s::EventBody::Which::AUDITOR_APPOINTED) ==
              static_cast<int>(event_kind::auditor_appointed));
static_assert(static_cast<int>(s::EventKind::INVITATION_REDEEMED) ==
              static_cast<int>(event_kind::invitation_redeemed));
static_assert(static_cast<int>(s::EventBody::Which::INVITATION_REDEEMED) ==
              static_cast<int>(event_kind::invitation_redeemed));
static_assert(static_cast<int>(s::EventKind::MEMBER_VERIFIED) ==
              static_cast<int>(event_kind::member_verified));
static_assert(static_cast<int>(s::EventBody::Which::MEMBER_VERIFIED) ==
              static_cast<int>(event_kind::member_verified));
static_assert(static_cast<int>(s::InvitationPurpose::REPLACE_KEYS) ==
              static_cast<int>(invitation_purpose::replace_keys));

kj::ArrayPtr<const capnp::byte> as_kj(byte_view b) {
    return {b.data(), b.size()};
}

template <std::size_t N>
kj::ArrayPtr<const capnp::byte> as_kj(const std::array<std::uint8_t, N>& a) {
    return {a.data(), a.size()};
}

// A std::string as Cap'n Proto text of its full length. Passing the std::string itself goes
// through c_str() and would cut the text at an embedded NUL.
capnp::Text::Reader as_text(const std::string& s) {
    return {s.c_str(), s.size()};
}

void put_policy(s::Policy::Builder b, const policy& p) {
    b.setCreditLimitMinutes(p.credit_limit.value);
    b.setBalanceMaxMinutes(p.balance_max.value);
    b.setClaimMinutesMax(p.claim_max.value);
    const auto& f = p.fairness;
    b.setFairnessOff(f.off);
    b.setProposalsPerRequest(f.proposals_per_request);
    b.setOpenMatchesMax(f.open_matches_max);
    b.setNewcomerFloorHours(f.newcomer_floor_hours);
    b.setQualityFloorPermille(f.quality_floor_permille);
    b.setReputationWeightMaxPermille(f.reputation_weight_max_permille);
    b.setLowReputationProposalsMin(f.low_reputation_proposals_min);
    b.setReputationHalfLifeDays(f.reputation_half_life_days);
    b.setRequestWaitHoursMax(f.request_wait_hours_max);
    b.setSilenceFloorHours(f.silence_floor_hours);
    b.setSilentProposalsMax(f.silent_proposals_max);
    b.setUnmatchedFirstProposals(f.unmatched_first_proposals);
    b.setMatchSilenceHours(f.match_silence_hours);
    b.setContactWindowDays(p.contact_window_days);
    b.setRetentionDays(p.retention_days);
    b.setPublicImpact(p.public_impact == impact_page::open);
}

void put_post(s::Post::Builder b, const post_body& p) {
    b.setCategory(static_cast<s::Category>(p.what));
    if (p.text_digest) b.setTextDigest(as_kj(p.text_digest->b));
    b.setIntensity(static_cast<s::Intensity>(p.how_often));
    b.setArea(as_text(p.area));
    b.setAvailability(p.availability);
}

// Decoding helpers: each returns an error naming the field.
struct decoder {
    std::string problem;

    template <std::size_t N>
    std::array<std::uint8_t, N> fixed(capnp::Data::Reader d, const char* field) {
        std::array<std::uint8_t, N> out{};
        if (d.size() != N) {
            fail(std::string(field) + " must be " + std::to_string(N) + " bytes, not " +
                 std::to_string(d.size()));
            return out;
        }
        std::copy(d.begin(), d.end(), out.begin());
        return out;
    }
    event_id id(capnp::Data::Reader d, const char* field) {
        return event_id{fixed<event_id_bytes>(d, field)};
    }
    std::optional<event_id> optional_id(capnp::Data::Reader d, const char* field) {
        if (d.size() == 0) return std::nullopt;
        return id(d, field);
    }
    public_key key(capnp::Data::Reader d, const char* field) {
        return public_key{fixed<public_key_bytes>(d, field)};
    }
    std::optional<public_key> optional_key(capnp::Data::Reader d, const char* field) {
        if (d.size() == 0) return std::nullopt;
        return key(d, field);
    }
    std::optional<member_id> optional_member(std::uint64_t v) {
        if (v == 0) return std::nullopt;
        return member_id{v};
    }
    digest dig(capnp::Data::Reader d, const char* field) {
        return digest{fixed<digest_bytes>(d, field)};
    }
    std::string text(capnp::Text::Reader t, std::size_t chars_max, const char* field) {
        std::string out(t.cStr(), t.size());
        if (!text_within(out, chars_max))
            fail(std::string(field) + " must be valid UTF-8 of at most " +
                 std::to_string(chars_max) + " characters");
        return out;
    }
    // A free text's commitment. The text field itself, from before format 12, must be empty:
    // no personal data enters the log (it travels beside the event: personal.h).
    text_commitment commitment(capnp::Text::Reader legacy, capnp::Data::Reader d,
                               const char* text_field, const char* digest_field) {
        if (legacy.size() != 0)
            fail(std::string(text_field) +
                 " must be empty: a free text is not kept in the log (AVG); put its commitment "
                 "in " +
                 digest_field + " and send the text beside the event (\"personal\")");
        if (d.size() == 0) return std::nullopt;
        return dig(d, digest_field);
    }
    member_id member(std::uint64_t v, const char* field) {
        if (v == 0) fail(std::string(field) + " must be a member id > 0");
        return member_id{v};
    }
    template <typename E>
    std::uint16_t enumerant(E e, std::uint16_t count, const char* field) {
        auto v = static_cast<std::uint16_t>(e);
        if (v >= count) fail(std::string(field) + " has an unknown value " + std::to_string(v));
        return v;
    }
    policy pol(s::Policy::Reader r) {
        policy p{minutes{r.getCreditLimitMinutes()}, minutes{r.getBalanceMaxMinutes()},
                 minutes{r.getClaimMinutesMax()}};
        if (p.credit_limit.value < 0 || p.credit_limit.value > balance_bound_minutes_max)
            fail("policy.creditLimitMinutes must be between 0 and 1000000000");
        if (p.balance_max.value <= 0 || p.balance_max.value > balance_bound_minutes_max)
            fail("policy.balanceMaxMinutes must be between 1 and 1000000000");
        if (p.claim_max.value <= 0 || p.claim_max.value > minutes_per_event_max)
            fail("policy.claimMinutesMax must be between 1 and 10080");
        // The fairness knobs are read as signed; their ranges are the rules' to judge (a
        // verdict, fairness_knob_out_of_range), not a malformed event.
        p.fairness = fairness_knobs{r.getFairnessOff(),
                                    r.getProposalsPerRequest(),
                                    r.getOpenMatchesMax(),
                                    r.getNewcomerFloorHours(),
                                    r.getQualityFloorPermille(),
                                    r.getReputationWeightMaxPermille(),
                                    r.getLowReputationProposalsMin(),
                                    r.getReputationHalfLifeDays(),
                                    r.getRequestWaitHoursMax(),
                                    r.getSilenceFloorHours(),
                                    r.getSilentProposalsMax(),
                                    r.getUnmatchedFirstProposals(),
                                    r.getMatchSilenceHours()};
        p.contact_window_days = r.getContactWindowDays();
        if (p.contact_window_days > contact_window_days_max)
            fail("policy.contactWindowDays must be 0 (the default, 30) or 1 to 365");
        p.retention_days = r.getRetentionDays();
        if (p.retention_days > retention_days_max)
            fail("policy.retentionDays must be 0 (the default, 730) or 1 to 3650");
        p.public_impact = r.getPublicImpact() ? impact_page::open : impact_page::closed;
        return p;
    }
    post_body post(s::Post::Reader r) {
        post_body p;
        p.what = static_cast<category>(enumerant(r.getCategory(), category_count, "category"));
        p.text_digest = commitment(r.getText(), r.getTextDigest(), "text", "textDigest");
        p.how_often = static_cast<intensity>(enumerant(r.getIntensity(), 3, "intensity"));
        p.area = text(r.getArea(), area_chars_max, "area");
        p.availability = r.getAvailability();
        if (p.availability >= (1u << 21)) fail("availability uses only bits 0..20");
        return p;
    }
    minutes amount(std::int64_t v, const char* field) {
        if (v <= 0 || v > minutes_per_event_max)
            fail(std::string(field) + " must be between 1 and 10080 minutes");
        return minutes{v};
    }
    void fail(std::string why) {
        if (problem.empty()) problem = std::move(why);
    }
};

event_payload decode_payload(s::EventBody::Reader r, decoder& d) {
    using W = s::EventBody::Which;
    switch (r.which()) {
        case W::COMMUNITY_FOUNDED: {
            auto x = r.getCommunityFounded();
            return community_founded{d.text(x.getName(), community_name_chars_max, "name"),
                                     d.pol(x.getPolicy())};
        }
        case W::POLICY_CHANGED:
            return policy_changed{d.pol(r.getPolicyChanged().getPolicy())};
        case W::NODE_KEY_ANNOUNCED:
            return node_key_announced{d.key(r.getNodeKeyAnnounced().getKey(), "key")};
        case W::MEMBER_ADMITTED: {
            auto x = r.getMemberAdmitted();
            member_admitted m{d.member(x.getMember(), "member"), d.optional_key(x.getKey(), "key"),
                              static_cast<role>(d.enumerant(x.getRole(), 2, "role")),
                              x.getVerified(), std::nullopt};
            if (x.getProfileDigest().size() != 0)
                m.profile_digest = d.dig(x.getProfileDigest(), "profileDigest");
            return m;
        }
        case W::KEY_ADDED: {
            auto x = r.getKeyAdded();
            return key_added{d.member(x.getMember(), "member"), d.key(x.getKey(), "key")};
        }
        case W::KEY_REVOKED: {
            auto x = r.getKeyRevoked();
            // Member 0 names a node key (the community fund owns them).
            return key_revoked{member_id{x.getMember()}, d.key(x.getKey(), "key")};
        }
        case W::DELEGATION_GRANTED: {
            auto x = r.getDelegationGranted();
            delegation_granted g{
                d.member(x.getDelegate(), "delegate"), {}, time_ms{x.getUntilMs()}, {}};
            if (x.getKinds().size() == 0 || x.getKinds().size() > delegation_kinds_max)
                d.fail("kinds must name between 1 and 25 kinds");
            for (auto k : x.getKinds())
                g.kinds.push_back(
                    static_cast<event_kind>(d.enumerant(k, event_kind_count, "kinds")));
            if (g.until.value < 0) d.fail("untilMs must be >= 0");
            g.grantor = d.optional_member(x.getGrantor());
            return g;
        }
        case W::DELEGATION_REVOKED: {
            auto x = r.getDelegationRevoked();
            return delegation_revoked{d.member(x.getDelegate(), "delegate"),
                                      d.optional_member(x.getGrantor())};
        }
        case W::MEMBER_SUSPENDED: {
            auto x = r.getMemberSuspended();
            return member_suspended{
                d.member(x.getMember(), "member"),
                d.commitment(x.getReason(), x.getReasonDigest(), "reason", "reasonDigest")};
        }
        case W::MEMBER_REINSTATED:
            return member_reinstated{d.member(r.getMemberReinstated().getMember(), "member")};
        case W::OFFER_POSTED:
            return offer_posted{d.post(r.getOfferPosted())};
        case W::REQUEST_POSTED:
            return request_posted{d.post(r.getRequestPosted())};
        case W::POST_WITHDRAWN:
            return post_withdrawn{d.id(r.getPostWithdrawn().getPost(), "post")};
        case W::POST_HIDDEN: {
            auto x = r.getPostHidden();
            return post_hidden{
                d.id(x.getPost(), "post"),
                d.commitment(x.getReason(), x.getReasonDigest(), "reason", "reasonDigest")};
        }
        case W::MATCH_PROPOSED: {
            auto x = r.getMatchProposed();
            if (x.getRoundSize() != 0 &&
                (x.getRank() >= x.getRoundSize() || x.getRoundSize() > round_proposals_max))
                d.fail("roundSize must be 0, or more than rank and at most " +
                       std::to_string(round_proposals_max));
            return match_proposed{d.id(x.getRequest(), "request"),
                                  d.id(x.getOffer(), "offer"),
                                  d.member(x.getHelper(), "helper"),
                                  x.getRound(),
                                  x.getRank(),
                                  x.getRoundSize(),
                                  x.getBasis()};
        }
        case W::MATCH_ACCEPTED:
            return match_accepted{d.id(r.getMatchAccepted().getMatch(), "match")};
        case W::MATCH_DECLINED:
            return match_declined{d.id(r.getMatchDeclined().getMatch(), "match")};
        case W::MATCH_ENDED:
            return match_ended{d.id(r.getMatchEnded().getMatch(), "match")};
        case W::HOURS_CLAIMED: {
            auto x = r.getHoursClaimed();
            return hours_claimed{
                d.member(x.getReceiver(), "receiver"), d.amount(x.getMinutes(), "minutes"),
                d.optional_id(x.getPost(), "post"),
                d.commitment(x.getNote(), x.getNoteDigest(), "note", "noteDigest")};
        }
        case W::HOURS_CONFIRMED:
            return hours_confirmed{d.id(r.getHoursConfirmed().getClaim(), "claim")};
        case W::HOURS_DISPUTED: {
            auto x = r.getHoursDisputed();
            return hours_disputed{
                d.id(x.getClaim(), "claim"),
                d.commitment(x.getReason(), x.getReasonDigest(), "reason", "reasonDigest")};
        }
        case W::TRANSFER: {
            auto x = r.getTransfer();
            return transfer{member_id{x.getTo()}, d.amount(x.getMinutes(), "minutes"),
                            d.commitment(x.getNote(), x.getNoteDigest(), "note", "noteDigest")};
        }
        case W::REVERSAL: {
            auto x = r.getReversal();
            return reversal{
                d.id(x.getTarget(), "target"),
                d.commitment(x.getReason(), x.getReasonDigest(), "reason", "reasonDigest")};
        }
        case W::ENDORSEMENT: {
            auto x = r.getEndorsement();
            return endorsement{d.member(x.getMember(), "member"), d.id(x.getClaim(), "claim"),
                               d.commitment(x.getText(), x.getTextDigest(), "text", "textDigest")};
        }
        case W::CHECKPOINT: {
            auto x = r.getCheckpoint();
            return checkpoint{
                x.getTreeSize(), d.dig(x.getRootHash(), "rootHash"), time_ms{x.getTimestampMs()},
                x.getVerdictRoot().size() == 0
                    ? std::nullopt
                    : std::optional<digest>(d.dig(x.getVerdictRoot(), "verdictRoot"))};
        }
        case W::MEMBER_LEFT:
            return member_left{d.member(r.getMemberLeft().getMember(), "member")};
        case W::PROFILE_UPDATED: {
            auto x = r.getProfileUpdated();
            return profile_updated{d.member(x.getMember(), "member"),
                                   d.dig(x.getProfileDigest(), "profileDigest")};
        }
        case W::AUDITOR_APPOINTED: {
            auto x = r.getAuditorAppointed();
            auditor_appointed a{d.key(x.getKey(), "key"), time_ms{x.getUntilMs()}};
            if (a.until.value < 0) d.fail("auditorAppointed.untilMs must be >= 0");
            return a;
        }
        case W::INVITATION_ISSUED: {
            auto x = r.getInvitationIssued();
            invitation_issued i{static_cast<invitation_purpose>(d.enumerant(
                                    x.getPurpose(), invitation_purpose_count, "purpose")),
                                d.member(x.getMember(), "member"),
                                static_cast<role>(d.enumerant(x.getRole(), 2, "role")),
                                x.getVerified(),
                                d.dig(x.getCodeDigest(), "codeDigest"),
                                time_ms{x.getUntilMs()}};
            // Only a newcomer is given a role and a verified flag: an existing member keeps
            // theirs (a device invitation can never make anyone a coordinator).
            if (i.purpose != invitation_purpose::join &&
                (i.member_role != role::member || i.verified))
                d.fail("invitationIssued.role and verified are for a join invitation only");
            if (i.until.value < 0) d.fail("invitationIssued.untilMs must be >= 0");
            return i;
        }
        case W::INVITATION_REDEEMED: {
            auto x = r.getInvitationRedeemed();
            return invitation_redeemed{d.id(x.getInvitation(), "invitation"),
                                       d.fixed<invitation_code_bytes>(x.getCode(), "code")};
        }
        case W::MEMBER_VERIFIED:
            return member_verified{d.member(r.getMemberVerified().getMember(), "member")};
    }
    d.fail("unknown event kind " + std::to_string(static_cast<int>(r.which())));
    return checkpoint{};
}

void encode_payload(s::EventBody::Builder b, const event_payload& payload) {
    std::visit(
        [&](const auto& x) {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, community_founded>) {
                auto y = b.initCommunityFounded();
                y.setName(as_text(x.name));
                put_policy(y.initPolicy(), x.rules);
            } else if constexpr (std::is_same_v<T, policy_changed>) {
                put_policy(b.initPolicyChanged().initPolicy(), x.rules);
            } else if constexpr (std::is_same_v<T, node_key_announced>) {
                b.initNodeKeyAnnounced().setKey(as_kj(x.key.b));
            } else if constexpr (std::is_same_v<T, member_admitted>) {
                auto y = b.initMemberAdmitted();
                y.setMember(x.member.value);
                if (x.key) y.setKey(as_kj(x.key->b));
                y.setRole(static_cast<s::Role>(x.member_role));
                y.setVerified(x.verified);
                if (x.profile_digest) y.setProfileDigest(as_kj(x.profile_digest->b));
            } else if constexpr (std::is_same_v<T, key_added>) {
                auto y = b.initKeyAdded();
                y.setMember(x.member.value);
                y.setKey(as_kj(x.key.b));
            } else if constexpr (std::is_same_v<T, key_revoked>) {
                auto y = b.initKeyRevoked();
                y.setMember(x.member.value);
                y.setKey(as_kj(x.key.b));
            } else if constexpr (std::is_same_v<T, delegation_granted>) {
                auto y = b.initDelegationGranted();
                y.setDelegate(x.delegate.value);
                auto kinds = y.initKinds(static_cast<unsigned>(x.kinds.size()));
                for (unsigned i = 0; i < x.kinds.size(); ++i)
                    kinds.set(i, static_cast<s::EventKind>(x.kinds[i]));
                y.setUntilMs(x.until.value);
                if (x.grantor) y.setGrantor(x.grantor->value);
            } else if constexpr (std::is_same_v<T, delegation_revoked>) {
                auto y = b.initDelegationRevoked();
                y.setDelegate(x.delegate.value);
                if (x.grantor) y.setGrantor(x.grantor->value);
            } else if constexpr (std::is_same_v<T, member_suspended>) {
                auto y = b.initMemberSuspended();
                y.setMember(x.member.value);
                if (x.reason_digest) y.setReasonDigest(as_kj(x.reason_digest->b));
            } else if constexpr (std::is_same_v<T, member_reinstated>) {
                b.initMemberReinstated().setMember(x.member.value);
            } else if constexpr (std::is_same_v<T, offer_posted>) {
                put_post(b.initOfferPosted(), x);
            } else if constexpr (std::is_same_v<T, request_posted>) {
                put_post(b.initRequestPosted(), x);
            } else if constexpr (std::is_same_v<T, post_withdrawn>) {
                b.initPostWithdrawn().setPost(as_kj(x.post.b));
            } else if constexpr (std::is_same_v<T, post_hidden>) {
                auto y = b.initPostHidden();
                y.setPost(as_kj(x.post.b));
                if (x.reason_digest) y.setReasonDigest(as_kj(x.reason_digest->b));
            } else if constexpr (std::is_same_v<T, match_proposed>) {
                auto y = b.initMatchProposed();
                y.setRequest(as_kj(x.request.b));
                y.setOffer(as_kj(x.offer.b));
                y.setHelper(x.helper.value);
                y.setRound(x.round);
                y.setRank(x.rank);
                y.setRoundSize(x.round_size);
                y.setBasis(x.basis);
            } else if constexpr (std::is_same_v<T, match_accepted>) {
                b.initMatchAccepted().setMatch(as_kj(x.match.b));
            } else if constexpr (std::is_same_v<T, match_declined>) {
                b.initMatchDeclined().setMatch(as_kj(x.match.b));
            } else if constexpr (std::is_same_v<T, match_ended>) {
                b.initMatchEnded().setMatch(as_kj(x.match.b));
            } else if constexpr (std::is_same_v<T, hours_claimed>) {
                auto y = b.initHoursClaimed();
                y.setReceiver(x.receiver.value);
                y.setMinutes(x.amount.value);
                if (x.post) y.setPost(as_kj(x.post->b));
                if (x.note_digest) y.setNoteDigest(as_kj(x.note_digest->b));
            } else if constexpr (std::is_same_v<T, hours_confirmed>) {
                b.initHoursConfirmed().setClaim(as_kj(x.claim.b));
            } else if constexpr (std::is_same_v<T, hours_disputed>) {
                auto y = b.initHoursDisputed();
                y.setClaim(as_kj(x.claim.b));
                if (x.reason_digest) y.setReasonDigest(as_kj(x.reason_digest->b));
            } else if constexpr (std::is_same_v<T, transfer>) {
                auto y = b.initTransfer();
                y.setTo(x.to.value);
                y.setMinutes(x.amount.value);
                if (x.note_digest) y.setNoteDigest(as_kj(x.note_digest->b));
            } else if constexpr (std::is_same_v<T, reversal>) {
                auto y = b.initReversal();
                y.setTarget(as_kj(x.target.b));
                if (x.reason_digest) y.setReasonDigest(as_kj(x.reason_digest->b));
            } else if constexpr (std::is_same_v<T, endorsement>) {
                auto y = b.initEndorsement();
                y.setMember(x.member.value);
                y.setClaim(as_kj(x.claim.b));
                if (x.text_digest) y.setTextDigest(as_kj(x.text_digest->b));
            } else if constexpr (std::is_same_v<T, checkpoint>) {
                auto y = b.initCheckpoint();
                y.setTreeSize(x.tree_size);
                y.setRootHash(as_kj(x.root.b));
                y.setTimestampMs(x.timestamp.value);
                if (x.verdict_root) y.setVerdictRoot(as_kj(x.verdict_root->b));
            } else if constexpr (std::is_same_v<T, member_left>) {
                b.initMemberLeft().setMember(x.member.value);
            } else if constexpr (std::is_same_v<T, profile_updated>) {
                auto y = b.initProfileUpdated();
                y.setMember(x.member.value);
                y.setProfileDigest(as_kj(x.profile_digest.b));
            } else if constexpr (std::is_same_v<T, auditor_appointed>) {
                auto y = b.initAuditorAppointed();
                y.setKey(as_kj(x.key.b));
                y.setUntilMs(x.until.value);
            } else if constexpr (std::is_same_v<T, invitation_issued>) {
                auto y = b.initInvitationIssued();
                y.setPurpose(static_cast<s::InvitationPurpose>(x.purpose));
                y.setMember(x.member.value);
                y.setRole(static_cast<s::Role>(x.member_role));
                y.setVerified(x.verified);
                y.setCodeDigest(as_kj(x.code_digest.b));
                y.setUntilMs(x.until.value);
            } else if constexpr (std::is_same_v<T, invitation_redeemed>) {
                auto y = b.initInvitationRedeemed();
                y.setInvitation(as_kj(x.invitation.b));
                y.setCode(as_kj(x.code));
            } else if constexpr (std::is_same_v<T, member_verified>) {
                b.initMemberVerified().setMember(x.member.value);
            } else {
                static_assert(sizeof(T) == 0, "every kind is encoded");
            }
        },
        payload);
}

bytes words_to_bytes(kj::ArrayPtr<const capnp::word> words) {
    auto b = words.asBytes();
    return bytes(b.begin(), b.end());
}

// Whether the canonical form of `root` is exactly `canonical`.
template <typename Reader>
bool canonical_form_is(Reader root, byte_view canonical) {
    auto words = capnp::canonicalize(root);
    auto b = words.asBytes();
    return std::equal(b.begin(), b.end(), canonical.begin(), canonical.end());
}

// A builder whose first segment fits a message of about `words` words (it grows if not): the
// default first segment is 8 KiB, zeroed, where an event is a few hundred bytes.
capnp::MallocMessageBuilder builder_for(std::size_t words) {
    return capnp::MallocMessageBuilder(static_cast<capnp::uint>(words + 16));
}

// Reads `canonical` as one segment of words (copied to align) and hands its root to `fn`, which
// returns a result; any Cap'n Proto exception becomes a "bad_event" error.
template <typename Root, typename Fn>
auto with_canonical_root(byte_view canonical, const char* what, Fn&& fn)
    -> std::invoke_result_t<Fn, typename Root::Reader> {
    using R = std::invoke_result_t<Fn, typename Root::Reader>;
    if (canonical.empty() || canonical.size() % sizeof(capnp::word) != 0 ||
        canonical.size() > envelope_bytes_max)
        return make_error(errc::bad_event,
                          std::string(what) + " must be a non-empty multiple of 8 bytes, at most " +
                              std::to_string(envelope_bytes_max));
    // Cap'n Proto reads words in place: bytes from the heap are aligned; others are copied.
    const std::size_t word_count = canonical.size() / sizeof(capnp::word);
    kj::Array<capnp::word> copy;
    kj::ArrayPtr<const capnp::word> segments[1];
    if (reinterpret_cast<std::uintptr_t>(canonical.data()) % alignof(capnp::word) == 0) {
        segments[0] = {reinterpret_cast<const capnp::word*>(canonical.data()), word_count};
    } else {
        copy = kj::heapArray<capnp::word>(word_count);
        std::memcpy(copy.begin(), canonical.data(), canonical.size());
        segments[0] = copy.asPtr();
    }
    capnp::ReaderOptions options;
    options.traversalLimitInWords = envelope_bytes_max;
    options.nestingLimit = 16;
    std::optional<R> out;
    kj::Maybe<kj::Exception> ex = kj::runCatchingExceptions([&]() {
        capnp::SegmentArrayMessageReader reader(kj::arrayPtr(segments, 1), options);
        if (!reader.isCanonical()) {
            out.emplace(
                make_error(errc::bad_event, std::string(what) + " is not in canonical form"));
            return;
        }
        out.emplace(fn(reader.template getRoot<Root>()));
    });
    KJ_IF_MAYBE (e, ex) {
        return make_error(errc::bad_event, std::string(what) + " is malformed: " +
                                               std::string(e->getDescription().cStr()));
    }
    UURWERK_ASSERT(out.has_value());
    return std::move(*out);
}

}  // namespace

bool event_id::is_zero() const {
    return std::all_of(b.begin(), b.end(), [](auto x) { return x == 0; });
}
std::string event_id::hex() const {
    return to_hex(b);
}
std::string public_key::hex() const {
    return to_hex(b);
}
std::string digest::hex() const {
    return to_hex(b);
}

namespace {

// A value's name in its table (indexed by the value), and the value of a name.
template <typename E, std::size_t N>
std::string_view name_in(const std::array<std::string_view, N>& names, E e) {
    const auto i = static_cast<std::size_t>(e);
    UURWERK_ASSERT(i < N, i);
    return names[i];
}
template <typename E, std::size_t N>
std::optional<E> value_named(const std::array<std::string_view, N>& names, std::string_view name) {
    for (std::size_t i = 0; i < N; ++i)
        if (names[i] == name) return static_cast<E>(i);
    return std::nullopt;
}

}  // namespace

std::string_view kind_name(event_kind k) {
    return name_in(kind_names, k);
}
std::optional<event_kind> kind_from_name(std::string_view name) {
    return value_named<event_kind>(kind_names, name);
}
std::string_view category_name(category c) {
    return name_in(category_names, c);
}
std::optional<category> category_from_name(std::string_view name) {
    return value_named<category>(category_names, name);
}
std::string_view purpose_name(invitation_purpose p) {
    return name_in(purpose_names, p);
}
std::optional<invitation_purpose> purpose_from_name(std::string_view name) {
    return value_named<invitation_purpose>(purpose_names, name);
}

namespace {
void build_body(s::EventBody::Builder b, const event_body& body) {
    b.setId(as_kj(body.id.b));
    b.setCommunity(body.community.value);
    b.setAuthor(body.author.value);
    b.setSeq(body.seq.value);
    b.setCreatedAtMs(body.created_at.value);
    b.setOnBehalfOf(body.on_behalf_of ? body.on_behalf_of->value : 0);
    encode_payload(b, body.payload);
}
}  // namespace

bytes encode_body(const event_body& body) {
    capnp::MallocMessageBuilder message;
    auto b = message.initRoot<s::EventBody>();
    build_body(b, body);
    return words_to_bytes(capnp::canonicalize(b.asReader()));
}

result<event_body> decode_body(byte_view canonical, form_check form) {
    return with_canonical_root<s::EventBody>(
        canonical, "event body", [canonical, form](s::EventBody::Reader r) -> result<event_body> {
            decoder d;
            event_body e;
            e.id = d.id(r.getId(), "id");
            e.community = community_id{r.getCommunity()};
            e.author = member_id{r.getAuthor()};
            e.seq = sequence{r.getSeq()};
            e.created_at = time_ms{r.getCreatedAtMs()};
            if (r.getOnBehalfOf() != 0) e.on_behalf_of = member_id{r.getOnBehalfOf()};
            e.payload = decode_payload(r, d);
            if (e.community.value == 0) d.fail("community must be > 0");
            if (e.seq.value == 0) d.fail("seq must be > 0");
            // A new key's first event, for the member the invitation names (RULES.md).
            if (e.kind() == event_kind::invitation_redeemed && (e.seq.value != 1 || e.on_behalf_of))
                d.fail(
                    "invitationRedeemed must have seq 1 and onBehalfOf 0: it is the first "
                    "event of a new key, signed for the member the invitation names");
            if (!d.problem.empty()) return make_error(errc::bad_event, d.problem);
            if (form == form_check::trusted) return e;
            // Cap'n Proto's canonical form still allows bits the schema does not use, fields it
            // does not know and null texts: accept only what encode_body writes for this value,
            // so that one event has exactly one signed form.
            auto again = builder_for(canonical.size() / sizeof(capnp::word));
            auto b = again.initRoot<s::EventBody>();
            build_body(b, e);
            if (!canonical_form_is(b.asReader(), canonical))
                return make_error(errc::bad_event,
                                  "event body is not in canonical form: unused "
                                  "bits, unknown fields or missing texts");
            return e;
        });
}

result<bytes> canonical_body(byte_view one_segment) {
    // Cap'n Proto's own canonical form is checked on the way in (no far pointers, no gaps, no
    // trailing zeros), but not ours: the value is encoded again, and that is the one form.
    auto value = decode_body(one_segment, form_check::trusted);
    if (!value) return value.err();
    return encode_body(*value);
}

result<void> validate_body(const event_body& body) {
    auto decoded = decode_body(encode_body(body));
    if (!decoded) return decoded.err();
    return ok_value;
}

bytes encode_envelope(const envelope& e) {
    return stored_envelope::encode(e).take_stored();
}

result<envelope> decode_envelope(byte_view stored, form_check form) {
    auto read = stored_envelope::read(bytes(stored.begin(), stored.end()), form);
    if (!read) return read.err();
    const auto body = read->body();
    return envelope{bytes(body.begin(), body.end()), read->signer(), read->sig()};
}

namespace {
// Where `inside` starts within `whole`, which holds it.
std::size_t offset_within(byte_view whole, const capnp::byte* inside, std::size_t size) {
    const auto at = static_cast<std::size_t>(inside - whole.data());
    UURWERK_ASSERT(inside >= whole.data() && at + size <= whole.size(), at, size, whole.size());
    return at;
}
}  // namespace

stored_envelope stored_envelope::encode(byte_view body, const public_key& signer,
                                        const signature& sig) {
    auto message = builder_for((body.size() + signature_bytes + 64) / sizeof(capnp::word));
    auto b = message.initRoot<s::Envelope>();
    b.setBody(as_kj(body));
    b.setSigner(as_kj(signer.b));
    b.setSignature(as_kj(sig.b));
    stored_envelope out;
    out.stored_ = words_to_bytes(capnp::canonicalize(b.asReader()));
    out.signer_ = signer;
    out.sig_ = sig;
    out.body_size_ = body.size();
    // Canonical form puts the body's bytes after the root struct and its three pointers (body
    // first), padded to words: find them by reading the message, not by counting.
    kj::ArrayPtr<const capnp::word> segments[1] = {
        {reinterpret_cast<const capnp::word*>(out.stored_.data()),
         out.stored_.size() / sizeof(capnp::word)}};
    capnp::SegmentArrayMessageReader reader(kj::arrayPtr(segments, 1));
    out.body_at_ =
        offset_within(out.stored_, reader.getRoot<s::Envelope>().getBody().begin(), body.size());
    return out;
}

result<stored_envelope> stored_envelope::read(bytes stored, form_check form) {
    stored_envelope out;
    out.stored_ = std::move(stored);
    const byte_view whole = out.stored_;
    auto parts = with_canonical_root<s::Envelope>(
        whole, "envelope", [&](s::Envelope::Reader r) -> result<void> {
            decoder d;
            auto body = r.getBody();
            out.signer_ = d.key(r.getSigner(), "signer");
            out.sig_ = signature{d.fixed<signature_bytes>(r.getSignature(), "signature")};
            if (!d.problem.empty()) return make_error(errc::bad_envelope, d.problem);
            // Heap bytes are word-aligned, so the message was read in place.
            out.body_size_ = body.size();
            out.body_at_ = body.size() == 0 ? 0 : offset_within(whole, body.begin(), body.size());
            if (form == form_check::trusted) return ok_value;
            auto again = builder_for(whole.size() / sizeof(capnp::word));
            auto b = again.initRoot<s::Envelope>();
            b.setBody(body);
            b.setSigner(as_kj(out.signer_.b));
            b.setSignature(as_kj(out.sig_.b));
            if (!canonical_form_is(b.asReader(), whole))
                return make_error(errc::bad_envelope,
                                  "envelope is not in canonical form: unused "
                                  "bits or unknown fields");
            return ok_value;
        });
    if (!parts) return parts.err();
    return out;
}

// Hex and base64 by hand, in the forms kj (kj/encoding.h) writes: lowercase hex; base64 with
// the standard alphabet and padding, no line breaks. Each is read strictly: hex of either case,
// and base64 only in its one canonical form (padding only at the end, the bits past the last
// byte zero), so that a text names its bytes once. kj's own encoders built a kj::String through
// its stringifiers, some 7,000 instructions for an event id's 16 bytes, on the thread that
// answers every write (tests/ledger/core/event_test.cpp checks these against kj's).

namespace {

constexpr std::string_view hex_digits = "0123456789abcdef";
constexpr std::string_view base64_digits =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// The value of hex digit `c`, or -1.
int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// The value of base64 digit `c` (not '='), or -1.
constexpr std::array<std::int8_t, 256> base64_values = [] {
    std::array<std::int8_t, 256> v{};
    v.fill(-1);
    for (std::size_t i = 0; i < base64_digits.size(); ++i)
        v[static_cast<unsigned char>(base64_digits[i])] = static_cast<std::int8_t>(i);
    return v;
}();

bool ascii_alphanumeric(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// `s` (a multiple of 4 characters) in canonical base64, or nullopt.
std::optional<bytes> decode_canonical_base64(std::string_view s) {
    const std::size_t padding = s.ends_with("==") ? 2 : s.ends_with('=') ? 1 : 0;
    bytes out;
    out.reserve(s.size() / 4 * 3);
    for (std::size_t i = 0; i < s.size(); i += 4) {
        const bool last = i + 4 == s.size();
        const std::size_t digits = last ? 4 - padding : 4;
        std::uint32_t v = 0;
        for (std::size_t j = 0; j < 4; ++j) {
            std::int8_t d = 0;
            if (j < digits) {
                d = base64_values[static_cast<unsigned char>(s[i + j])];
                if (d < 0) return std::nullopt;
            }
            v = v << 6 | static_cast<std::uint32_t>(d);
        }
        // Two digits carry one byte and four bits more, three carry two and two bits more:
        // those bits must be zero (the one encoding of the bytes).
        if (digits == 2 && (v & 0xffff) != 0) return std::nullopt;
        if (digits == 3 && (v & 0xff) != 0) return std::nullopt;
        out.push_back(static_cast<std::uint8_t>(v >> 16));
        if (digits >= 3) out.push_back(static_cast<std::uint8_t>(v >> 8));
        if (digits == 4) out.push_back(static_cast<std::uint8_t>(v));
    }
    return out;
}

}  // namespace

std::string to_hex(byte_view b) {
    std::string out(2 * b.size(), '\0');
    for (std::size_t i = 0; i < b.size(); ++i) {
        out[2 * i] = hex_digits[b[i] >> 4];
        out[2 * i + 1] = hex_digits[b[i] & 0xf];
    }
    return out;
}

result<bytes> from_hex(std::string_view s) {
    if (s.size() % 2 != 0) return make_error(errc::bad_hex, "hex text has an odd length");
    bytes out(s.size() / 2);
    for (std::size_t i = 0; i < s.size(); ++i) {
        const int v = hex_value(s[i]);
        if (v < 0)
            return make_error(errc::bad_hex, "not a hex digit at position " + std::to_string(i));
        out[i / 2] = static_cast<std::uint8_t>(i % 2 == 0 ? v << 4 : out[i / 2] | v);
    }
    return out;
}

std::string to_base64(byte_view b) {
    std::string out;
    out.reserve((b.size() + 2) / 3 * 4);
    for (std::size_t i = 0; i < b.size(); i += 3) {
        const std::size_t n = std::min<std::size_t>(3, b.size() - i);
        std::uint32_t v = std::uint32_t{b[i]} << 16;
        if (n > 1) v |= std::uint32_t{b[i + 1]} << 8;
        if (n > 2) v |= b[i + 2];
        for (std::size_t j = 0; j < 4; ++j)
            out.push_back(j <= n ? base64_digits[(v >> (18 - 6 * j)) & 0x3f] : '=');
    }
    return out;
}

result<bytes> from_base64(std::string_view s) {
    if (s.size() % 4 != 0)
        return make_error(errc::bad_base64, "base64 text must be a multiple of 4 characters");
    if (auto decoded = decode_canonical_base64(s)) return std::move(*decoded);
    // Not the canonical form: say where. Padding is at most two '=' that end the text.
    const std::size_t padding_from = std::max(s.find_last_not_of('=') + 1, s.size() - 2);
    for (std::size_t i = 0; i < s.size(); ++i) {
        const bool fits =
            i < padding_from ? ascii_alphanumeric(s[i]) || s[i] == '+' || s[i] == '/' : s[i] == '=';
        if (!fits)
            return make_error(errc::bad_base64,
                              "not a base64 character at position " + std::to_string(i));
    }
    return make_error(errc::bad_base64, "base64 text has bits set beyond its last byte");
}

bool text_within(std::string_view s, std::size_t chars_max) {
    std::size_t chars = 0;
    for (std::size_t i = 0; i < s.size();) {
        auto c = static_cast<unsigned char>(s[i]);
        std::size_t n = c < 0x80         ? 1
                        : (c >> 5) == 6  ? 2
                        : (c >> 4) == 14 ? 3
                        : (c >> 3) == 30 ? 4
                                         : 0;
        if (n == 0 || i + n > s.size()) return false;
        std::uint32_t code_point = n == 1 ? c : c & (0x7fu >> n);
        for (std::size_t j = 1; j < n; ++j) {
            auto next = static_cast<unsigned char>(s[i + j]);
            if ((next >> 6) != 2) return false;
            code_point = code_point << 6 | (next & 0x3fu);
        }
        // RFC 3629: the shortest form only, no UTF-16 surrogates, nothing past U+10FFFF; and no
        // NUL.
        static constexpr std::uint32_t code_point_min[5] = {0, 1, 0x80, 0x800, 0x10000};
        if (code_point < code_point_min[n] || (code_point >= 0xd800 && code_point <= 0xdfff) ||
            code_point > 0x10ffff)
            return false;
        i += n;
        if (++chars > chars_max) return false;
    }
    return true;
}

}  // namespace uurwerk
