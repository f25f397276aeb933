// How the fold state is laid out in the store (projections/state_codec.h), through its public
// functions only: a community with members, keys (one revoked), a node key, delegations (one
// revoked), posts (one withdrawn), a match and its exposure, claims in every state, a transfer,
// an endorsement and a rejected event, folded by the real rules and written batch by batch with
// write_effects(), loads back with load_state() equal field by field, derived indexes included,
// and folds on exactly as the original does. History and open posts read back as written. A
// value cut short, grown by a byte, or replaced by garbage, and a key of the wrong form, are
// refused as "store_corrupt": never a crash, never a half-read state.
#include <boost/test/unit_test.hpp>

#include <span>

#include <map>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "ledger/core/crypto.h"
#include "ledger/core/personal.h"
#include "ledger/core/rules.h"
#include "projections/matching_fold.h"
#include "projections/state_codec.h"
#include "projections/store.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_keys.h"

using namespace uurwerk;
using uurwerk::testing::key_of;
using uurwerk::testing::temp_dir;

namespace {

constexpr community_id town{7}, other_town{8};
constexpr member_id founder{1}, ann{2}, bob{3}, cor{4};
constexpr std::uint8_t node_key = 200;

// Events folded by the rules into `state` (keys are plain values: fold() trusts its caller to
// have verified signatures), their effects written to a store every `batch_events` events.
struct folded_town {
    temp_dir dir{"state-codec"};
    std::unique_ptr<store> db;
    ledger_state state;
    matching_state matching;  // the projection folded after each verdict (matching_fold.h)
    fold_effects pending;     // the effects of the events not yet written
    matching_effects matching_pending;
    std::size_t pending_events = 0;
    std::size_t batch_events = 3;
    std::uint64_t next_offset = 0;
    std::uint32_t next_id = 1;
    std::map<std::uint8_t, std::uint64_t> seqs;
    time_ms now{1'750'000'000'000};

    folded_town() {
        auto opened = store::open(dir.path / "store");
        BOOST_REQUIRE(opened.ok());
        db = std::move(*opened);
    }

    event_body body(std::uint8_t key, community_id c, member_id author, event_payload payload,
                    std::optional<member_id> on_behalf_of = std::nullopt) {
        event_id id;
        id.b[0] = 0xc0;
        std::memcpy(id.b.data() + 4, &next_id, sizeof next_id);
        ++next_id;
        return {id, c, author, sequence{++seqs[key]}, now, on_behalf_of, std::move(payload)};
    }

    // Folds `b` signed with key `key` into `s`, then into its matching projection `m`, at the
    // next offset, as the projector does; the verdict's reason.
    static reject_reason fold_into(ledger_state& s, matching_state& m, fold_effects& fx,
                                   matching_effects& mfx, std::uint8_t key, const event_body& b,
                                   offset at, time_ms now) {
        const auto encoded = encode_body(b);
        const auto d = sha256({byte_view(encoded)});
        const auto k = key_of(key);
        const auto before = fx.matches.size();
        const auto decided = fold(s, fold_input{b, k, d, at, now}, fx);
        fold_matching(
            m, s, b, decided,
            std::span<const std::pair<community_id, event_id>>(fx.matches).subspan(before), mfx);
        return decided.reason;
    }

    // Folds an event of `town` (or `c`) and checks its verdict; its id.
    event_id as(std::uint8_t key, member_id author, event_payload payload,
                std::optional<member_id> on_behalf_of = std::nullopt,
                reject_reason expect = reject_reason::none, community_id c = town) {
        const auto b = body(key, c, author, std::move(payload), on_behalf_of);
        now = time_ms{now.value + 60'000};
        BOOST_REQUIRE_EQUAL(reason_name(fold_into(state, matching, pending, matching_pending, key,
                                                  b, offset{next_offset++}, now)),
                            reason_name(expect));
        if (++pending_events == batch_events) flush();
        return b.id;
    }

    // Writes the effects of the events folded since the last write, as the projector does.
    void flush() {
        auto batch = db->make_batch();
        write_effects(state, pending, batch);
        write_matching_effects(matching, matching_pending, batch);
        BOOST_REQUIRE(db->write(batch).ok());
        pending.clear();
        matching_pending.clear();
        pending_events = 0;
    }

    const community_state& community(community_id c = town) const {
        return state.communities.at(c);
    }
};

// A community with something of every kind the store keeps.
void build(folded_town& t) {
    policy rules{minutes{300}, minutes{3000}, minutes{180}};
    rules.fairness.proposals_per_request = 5;
    rules.fairness.quality_floor_permille = 400;
    rules.fairness.unmatched_first_proposals = 2;  // stored after the auditors
    rules.fairness.match_silence_hours = 168;      // and after that
    rules.contact_window_days = 14;
    rules.retention_days = 365;
    rules.public_impact = impact_page::open;  // stored after the auditors, last
    t.as(1, founder, community_founded{"Buurtkring Lombok", rules});
    t.as(1, founder, member_admitted{ann, key_of(2), role::member, true, std::nullopt});
    t.as(1, founder, member_admitted{bob, key_of(3), role::member, false, std::nullopt});
    t.as(1, founder, member_admitted{cor, key_of(4), role::coordinator, true, std::nullopt});
    t.as(1, founder, node_key_announced{key_of(node_key)});
    // Two auditors, one appointed for a week, the other for a day.
    t.as(1, founder, auditor_appointed{key_of(60), time_ms{t.now.value + 7 * 86'400'000}});
    t.as(4, cor, auditor_appointed{key_of(61), time_ms{t.now.value + 86'400'000}});
    // Ann's second device, added and revoked again.
    t.as(2, ann, key_added{ann, key_of(22)});
    t.as(2, ann, key_revoked{ann, key_of(22)});
    // Bob may post requests for Ann until a day from now; Cor's delegation from Bob ends.
    t.as(2, ann,
         delegation_granted{bob, {event_kind::request_posted}, time_ms{t.now.value + 86'400'000}});
    t.as(3, bob, delegation_granted{cor, {event_kind::transfer}, time_ms{0}});
    t.as(3, bob, delegation_revoked{cor});
    // Posts: Ann offers shopping help, Bob asks for Ann, Cor asks too; one offer is withdrawn.
    offer_posted offer;
    offer.what = category::shopping;
    offer.text_digest = commit_text(personal_salt{}, "Boodschappen, met de fiets");
    offer.how_often = intensity::regularly;
    offer.area = "3512";
    offer.availability = 0b1011;
    const auto ann_offer = t.as(2, ann, offer);
    request_posted asked;
    asked.what = category::shopping;
    asked.text_digest = commit_text(personal_salt{}, "Boodschappen op dinsdag 😀");
    asked.area = "3512";
    t.as(3, bob, asked, ann);
    const auto cor_request = t.as(4, cor, asked);
    offer_posted gone = offer;
    gone.what = category::gardening;
    const auto gone_id = t.as(3, bob, gone);
    t.as(3, bob, post_withdrawn{gone_id});
    // And one hidden by a coordinator, with a reason (kept with its closing time).
    const auto hidden_id = t.as(3, bob, gone);
    t.as(1, founder, post_hidden{hidden_id, commit_text(personal_salt{}, "een adres erin")});
    // The node proposes Ann for Cor's request; Cor accepts.
    const auto match =
        t.as(node_key, community_fund, match_proposed{cor_request, ann_offer, ann, 1, 0, 2, 12});
    t.as(4, cor, match_accepted{match});
    // Claims: confirmed, disputed, pending; a transfer; an endorsement; a rejected transfer.
    const auto confirmed = t.as(
        2, ann,
        hours_claimed{cor, minutes{60}, cor_request, commit_text(personal_salt{}, "de fiets")});
    t.as(4, cor, hours_confirmed{confirmed});
    const auto disputed = t.as(3, bob, hours_claimed{ann, minutes{30}, std::nullopt, std::nullopt});
    t.as(2, ann, hours_disputed{disputed, commit_text(personal_salt{}, "niet geweest")});
    // The third claim is confirmed, then reversed with a reason (its time and reason kept).
    const auto reversed = t.as(2, ann, hours_claimed{bob, minutes{15}, std::nullopt, std::nullopt});
    t.as(3, bob, hours_confirmed{reversed});
    t.as(1, founder, reversal{reversed, commit_text(personal_salt{}, "dubbel")});
    t.as(3, bob, transfer{ann, minutes{10}, std::nullopt});
    t.as(4, cor, endorsement{ann, confirmed, std::nullopt});
    // Invitations: a newcomer's, open; a device of Ann's, redeemed by its new key (seq 1).
    const auto code = [](std::uint8_t n) {
        invitation_code c;
        c.fill(n);
        return c;
    };
    const time_ms tomorrow{t.now.value + 86'400'000};
    t.as(4, cor,
         invitation_issued{invitation_purpose::join, member_id{10}, role::coordinator, true,
                           invitation_code_digest(code(1)), tomorrow});
    const auto device = t.as(2, ann,
                             invitation_issued{invitation_purpose::add_device, ann, role::member,
                                               false, invitation_code_digest(code(2)), tomorrow});
    t.as(23, ann, invitation_redeemed{device, code(2)});
    // A second key's redemption of it is rejected, and consumes no sequence number.
    t.as(24, ann, invitation_redeemed{device, code(2)}, std::nullopt,
         reject_reason::invitation_used);
    t.as(3, bob, transfer{bob, minutes{5}, std::nullopt}, std::nullopt,
         reject_reason::self_dealing);
    t.as(1, founder, member_suspended{bob, std::nullopt});
    // A second community, founded with the same key.
    t.as(1, founder, community_founded{"Wijk Noord", policy{}}, std::nullopt, reject_reason::none,
         other_town);
    t.flush();
}

template <typename T, typename Id>
void check_same_table(const id_table<T, Id>& got, const id_table<T, Id>& want, const char* what) {
    BOOST_CHECK_MESSAGE(got.size() == want.size(),
                        what << ": " << got.size() << " loaded, " << want.size() << " folded");
    for (const auto& [id, value] : want) {
        auto it = got.find(id);
        BOOST_CHECK_MESSAGE(it != got.end() && it->second == value, what << " " << id.hex());
    }
}

void check_same_state(const loaded_state& loaded, const ledger_state& want,
                      const matching_state& want_matching) {
    const ledger_state& got = loaded.ledger;
    BOOST_REQUIRE_EQUAL(got.communities.size(), want.communities.size());
    for (const auto& [id, w] : want.communities) {
        BOOST_TEST_CONTEXT("community " << id.value) {
            BOOST_REQUIRE(got.communities.contains(id));
            const auto& g = got.communities.at(id);
            BOOST_CHECK_EQUAL(g.name, w.name);
            BOOST_CHECK(g.rules == w.rules);
            BOOST_CHECK(g.members == w.members);
            BOOST_CHECK(g.keys == w.keys);
            BOOST_CHECK(g.delegations == w.delegations);
            check_same_table(g.claims, w.claims, "claim");
            check_same_table(g.transfers, w.transfers, "transfer");
            check_same_table(g.posts, w.posts, "post");
            check_same_table(g.matches, w.matches, "match");
            check_same_table(g.endorsements, w.endorsements, "endorsement");
            BOOST_CHECK_EQUAL(g.fund.value, w.fund.value);
            BOOST_CHECK(g.auditors == w.auditors);
            BOOST_CHECK(g.invitations == w.invitations);
            const auto& gm = loaded.matching.communities.at(id);
            const auto& wm = want_matching.communities.at(id);
            BOOST_CHECK(gm.exposure == wm.exposure);
            BOOST_CHECK_EQUAL(g.events, w.events);
            BOOST_CHECK_EQUAL(g.clock.value, w.clock.value);
            // The derived indexes, rebuilt on load.
            BOOST_CHECK(g.matches_of_post == w.matches_of_post);
            for (std::size_t c = 0; c < category_count; ++c)
                for (auto side : {post_side::offer, post_side::request})
                    BOOST_CHECK_EQUAL(gm.queues.open(side, static_cast<category>(c)).size(),
                                      wm.queues.open(side, static_cast<category>(c)).size());
        }
    }
    check_same_table(got.seen, want.seen, "seen event");
}

// Every entry of column `state`, in key order.
std::vector<std::pair<std::string, std::string>> state_entries(const store& db) {
    std::vector<std::pair<std::string, std::string>> out;
    auto scanned = db.scan(column::state, "", "", [&](std::string_view k, std::string_view v) {
        out.emplace_back(k, v);
        return true;
    });
    BOOST_REQUIRE(scanned.ok());
    return out;
}

void put(store& db, column c, const std::string& k, const std::string& v) {
    auto b = db.make_batch();
    b.put(c, k, v);
    BOOST_REQUIRE(db.write(b).ok());
}

void del(store& db, column c, const std::string& k) {
    auto b = db.make_batch();
    b.del(c, k);
    BOOST_REQUIRE(db.write(b).ok());
}

void check_refused(const store& db, const std::string& what) {
    auto loaded = load_state(db);
    BOOST_CHECK_MESSAGE(!loaded.ok(), what << ": loaded");
    if (!loaded.ok())
        BOOST_CHECK_MESSAGE(loaded.err().code == errc::store_corrupt,
                            what << ": " << loaded.err().code << ": " << loaded.err().message);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(state_codec)

BOOST_AUTO_TEST_CASE(a_community_of_every_kind_loads_back_as_it_was_folded) {
    folded_town t;
    build(t);
    const auto& c = t.community();
    // What was built is there to be compared.
    BOOST_CHECK_EQUAL(c.members.size(), 4u);
    BOOST_CHECK(c.keys.at(key_of(22)).revoked);
    BOOST_CHECK(c.keys.at(key_of(node_key)).node);
    BOOST_CHECK_EQUAL(c.delegations.size(), 1u);
    BOOST_CHECK_EQUAL(c.posts.size(), 5u);
    BOOST_CHECK_EQUAL(c.matches.size(), 1u);
    BOOST_CHECK_EQUAL(c.claims.size(), 3u);
    BOOST_CHECK_EQUAL(c.endorsements.size(), 1u);
    // What the retention period reads is filled in, so the round trip below compares it.
    BOOST_CHECK_EQUAL(c.rules.retention_days, 365u);
    std::size_t closed = 0, hidden_reasons = 0, notes = 0, disputes = 0, reversals = 0;
    for (const auto& [id, p] : c.posts) {
        closed += p.closed_time.value != 0;
        hidden_reasons += p.hidden_reason.has_value();
    }
    for (const auto& [id, cl] : c.claims) {
        notes += cl.note_digest.has_value();
        disputes += cl.dispute_reason.has_value();
        reversals += cl.reversal_reason.has_value() && cl.reversed_at.value != 0;
    }
    BOOST_CHECK_EQUAL(closed, 2u);
    BOOST_CHECK_EQUAL(hidden_reasons, 1u);
    BOOST_CHECK_EQUAL(notes, 1u);
    BOOST_CHECK_EQUAL(disputes, 1u);
    BOOST_CHECK_EQUAL(reversals, 1u);
    BOOST_CHECK(t.matching.communities.at(town).exposure.at(ann).exposure_sum > 0);
    BOOST_CHECK(t.matching.communities.at(town).exposure.at(ann).relevance_sum > 0);
    BOOST_CHECK(c.members.at(bob).suspended);
    BOOST_CHECK_EQUAL(c.auditors.size(), 2u);
    BOOST_CHECK_EQUAL(c.invitations.size(), 2u);
    BOOST_CHECK_EQUAL(c.keys.at(key_of(23)).owner.value, ann.value);  // the device redeemed

    auto loaded = load_state(*t.db);
    BOOST_REQUIRE_MESSAGE(loaded.ok(), (loaded.ok() ? "" : loaded.err().message));
    check_same_state(*loaded, t.state, t.matching);
    // Each key's last sequence number comes back from the seen events.
    BOOST_CHECK_EQUAL(loaded->ledger.communities.at(town).keys.at(key_of(3)).last_seq.value,
                      t.seqs.at(3));

    // Loaded, it folds on as the original does: a repeat gets its first verdict, a reused
    // sequence number is refused, a new event is accepted, whatever state folds it.
    const auto repeat = t.body(2, town, ann, transfer{cor, minutes{1}, std::nullopt});
    const auto next = t.body(2, town, ann, transfer{cor, minutes{2}, std::nullopt});
    auto stale = next;
    stale.id.b[1] = 0x77;
    stale.seq = sequence{1};
    const std::pair<ledger_state*, matching_state*> both[] = {{&t.state, &t.matching},
                                                              {&loaded->ledger, &loaded->matching}};
    for (const auto& states : both) {
        // Named apart: clang 14 cannot capture a structured binding in a lambda.
        ledger_state* const s = states.first;
        matching_state* const m = states.second;
        fold_effects fx;
        matching_effects mfx;
        const offset at{t.next_offset};
        const auto fold_one = [&](const event_body& b, offset o) {
            return folded_town::fold_into(*s, *m, fx, mfx, 2, b, o, t.now);
        };
        BOOST_CHECK(fold_one(repeat, at) == reject_reason::none);
        BOOST_CHECK(fold_one(repeat, offset{at.value + 1}) == reject_reason::duplicate_event);
        BOOST_CHECK(fold_one(stale, offset{at.value + 2}) == reject_reason::seq_not_increasing);
        BOOST_CHECK(fold_one(next, offset{at.value + 3}) == reject_reason::none);
    }
    check_same_state(*loaded, t.state, t.matching);
}

BOOST_AUTO_TEST_CASE(batches_of_any_size_write_the_same_store) {
    digest one_by_one, by_seven;
    for (std::size_t n : {1u, 7u}) {
        folded_town t;
        t.batch_events = n;
        build(t);
        auto d = t.db->state_digest();
        BOOST_REQUIRE(d.ok());
        (n == 1 ? one_by_one : by_seven) = *d;
    }
    BOOST_CHECK(one_by_one == by_seven);
}

BOOST_AUTO_TEST_CASE(history_and_open_posts_read_back_as_written) {
    folded_town t;
    build(t);
    auto h = read_history(*t.db, town, ann, offset{0}, 1000);
    BOOST_REQUIRE(h.ok());
    BOOST_REQUIRE(!h->empty());
    minutes balance{0};
    for (std::size_t i = 0; i < h->size(); ++i) {
        const auto& line = (*h)[i];
        BOOST_CHECK(line.community == town && line.member == ann);
        if (i > 0) BOOST_CHECK(line.at > (*h)[i - 1].at);
        balance = balance + line.balance_delta;
    }
    BOOST_CHECK_EQUAL(balance.value, t.community().members.at(ann).balance.value);
    // From an offset on, at most a limit.
    auto later = read_history(*t.db, town, ann, (*h)[2].at, 2);
    BOOST_REQUIRE(later.ok());
    BOOST_REQUIRE_EQUAL(later->size(), 2u);
    BOOST_CHECK(later->front().at == (*h)[2].at && later->back().at == (*h)[3].at);

    auto offers = read_open_posts(*t.db, town, true, std::nullopt, 100);
    BOOST_REQUIRE(offers.ok());
    BOOST_REQUIRE_EQUAL(offers->size(), 1u);  // the gardening offer was withdrawn
    const auto& o = offers->front();
    const auto& p = t.community().posts.at(o.id);
    BOOST_CHECK(o.owner == ann && o.is_offer && o.what == category::shopping);
    BOOST_CHECK(o.how_often == p.how_often && o.availability == p.availability);
    BOOST_CHECK_EQUAL(o.area, "3512");
    BOOST_CHECK(o.text_digest && o.text_digest == p.text_digest);
    BOOST_CHECK(o.posted_at == p.posted_at);
    auto requests = read_open_posts(*t.db, town, false, category::shopping, 100);
    BOOST_REQUIRE(requests.ok());
    BOOST_CHECK_EQUAL(requests->size(), 2u);
    BOOST_CHECK(requests->front().text_digest ==
                commit_text(personal_salt{}, "Boodschappen op dinsdag 😀"));
    BOOST_CHECK(read_open_posts(*t.db, town, false, category::gardening, 100)->empty());
    BOOST_CHECK(read_open_posts(*t.db, town, false, std::nullopt, 100, "1091")->empty());
    BOOST_CHECK(read_open_posts(*t.db, other_town, true, std::nullopt, 100)->empty());
}

BOOST_AUTO_TEST_CASE(a_value_cut_short_grown_or_garbled_is_refused_not_half_read) {
    folded_town t;
    build(t);
    const auto entries = state_entries(*t.db);
    std::map<char, int> tags;
    for (const auto& [k, v] : entries) ++tags[k[0]];
    for (char tag : {'C', 'M', 'K', 'D', 'L', 'T', 'P', 'X', 'E', 'H', 'I', 'S'})
        BOOST_CHECK_MESSAGE(tags[tag] > 0, "no entry of tag " << tag << " to corrupt");

    std::mt19937_64 rng(9);
    for (const auto& [k, v] : entries) {
        const std::string where =
            std::string("tag ") + k[0] + ", value of " + std::to_string(v.size()) + " bytes";
        BOOST_TEST_CONTEXT(where) {
            put(*t.db, column::state, k, v.substr(0, v.size() - 1));
            check_refused(*t.db, "cut by one byte");
            put(*t.db, column::state, k, v.substr(0, v.size() / 2));
            check_refused(*t.db, "cut in half");
            put(*t.db, column::state, k, v + '\0');
            check_refused(*t.db, "grown by one byte");
            // Garbage of another length than the record's.
            std::string garbage(v.size() + 1 + rng() % 40, '\0');
            for (auto& ch : garbage) ch = static_cast<char>(rng());
            put(*t.db, column::state, k, garbage);
            check_refused(*t.db, "garbage");
            put(*t.db, column::state, k, v);
            BOOST_REQUIRE(load_state(*t.db).ok());
        }
    }
    // The history and open posts the same.
    std::string ann_history;
    put_be64(ann_history, town.value);
    put_be64(ann_history, ann.value);
    put_be64(ann_history, 0);
    auto window = t.db->get(column::history, ann_history);
    BOOST_REQUIRE(window.ok() && window->has_value());
    put(*t.db, column::history, ann_history, (*window)->substr(0, (*window)->size() - 3));
    auto h = read_history(*t.db, town, ann, offset{0}, 1000);
    BOOST_REQUIRE(!h.ok());
    BOOST_CHECK_EQUAL(h.err().code, errc::store_corrupt);
    std::string post_key;
    bool found = false;
    auto scanned = t.db->scan(column::posts, "", "", [&](std::string_view k, std::string_view) {
        post_key = k;
        found = true;
        return false;
    });
    BOOST_REQUIRE(scanned.ok() && found);
    put(*t.db, column::posts, post_key, "short");
    auto posts = read_open_posts(*t.db, town, false, std::nullopt, 100);
    BOOST_REQUIRE(!posts.ok());
    BOOST_CHECK_EQUAL(posts.err().code, errc::store_corrupt);
}

BOOST_AUTO_TEST_CASE(the_public_impact_page_is_stored_and_no_other_byte_opens_it) {
    // The last byte of a community's value: 0 closed, 1 open; a store (format 19 on) always
    // holds it, and anything else there is a damaged record, never an open page.
    folded_town t;
    build(t);
    BOOST_REQUIRE(t.community().rules.public_impact == impact_page::open);
    auto loaded = load_state(*t.db);
    BOOST_REQUIRE(loaded.ok());
    BOOST_CHECK(loaded->ledger.communities.at(town).rules.public_impact == impact_page::open);
    BOOST_CHECK_EQUAL(loaded->ledger.communities.at(town).rules.fairness.unmatched_first_proposals,
                      2u);
    BOOST_CHECK_EQUAL(loaded->ledger.communities.at(town).rules.fairness.match_silence_hours,
                      168u);
    for (const std::uint8_t b : {std::uint8_t{0}, std::uint8_t{2}, std::uint8_t{0xff}}) {
        for (const auto& [k, v] : state_entries(*t.db))
            if (k[0] == 'C') put(*t.db, column::state, k, v.substr(0, v.size() - 1) + char(b));
        auto again = load_state(*t.db);
        if (b == 0) {
            BOOST_REQUIRE(again.ok());
            BOOST_CHECK(again->ledger.communities.at(town).rules.public_impact ==
                        impact_page::closed);
        } else {
            check_refused(*t.db, "page byte " + std::to_string(b));
        }
    }
}

BOOST_AUTO_TEST_CASE(a_key_of_the_wrong_form_is_refused) {
    folded_town t;
    build(t);
    BOOST_REQUIRE(load_state(*t.db).ok());
    // Keys that write_effects never writes, each with an otherwise good value.
    std::string member_key, member_value;
    for (const auto& [k, v] : state_entries(*t.db))
        if (k[0] == 'M') std::tie(member_key, member_value) = std::tie(k, v);
    const std::vector<std::pair<std::string, std::string>> bad = {
        {"Z" + member_key.substr(1), "an unknown tag"},
        {member_key.substr(0, 8), "a key shorter than its community"},
        {member_key + "x", "a member key one byte too long"},
        {member_key.substr(0, 12), "a member key cut short"},
        {std::string("S") + std::string(4, '\0'), "a seen chunk key cut short"},
    };
    for (const auto& [k, why] : bad) {
        BOOST_TEST_CONTEXT(why) {
            put(*t.db, column::state, k, member_value);
            check_refused(*t.db, why);
            del(*t.db, column::state, k);
            BOOST_REQUIRE(load_state(*t.db).ok());
        }
    }
    // A seen event in a chunk that is not its offset's.
    std::string seen_key, seen_value;
    for (const auto& [k, v] : state_entries(*t.db))
        if (k[0] == 'S') std::tie(seen_key, seen_value) = std::tie(k, v);
    std::string moved(1, 'S');
    put_be64(moved, get_be64(seen_key, 1) + 1);
    put(*t.db, column::state, moved, seen_value);
    check_refused(*t.db, "a seen chunk under another chunk's key");
}

// A byte out of range in an enum field (a member's role 7, a claim's status 9, a post of
// category 200) is a corrupt record, refused like one, not an impossible value that a fold or
// index_posts() would trust.
// The last kind there is (memberLeft) is a kind, not a corrupt byte: a member who left still
// has a history, which certificates of those they helped read (their key's binding).
BOOST_AUTO_TEST_CASE(the_history_of_a_member_who_left_reads_back) {
    folded_town t;
    build(t);
    const member_id dirk{9};
    t.as(1, founder, member_admitted{dirk, key_of(9), role::member, false, std::nullopt});
    t.as(9, dirk, member_left{dirk});
    t.flush();
    auto h = read_history(*t.db, town, dirk, offset{0}, 1000);
    BOOST_REQUIRE_MESSAGE(h.ok(), (h.ok() ? "" : h.err().message));
    BOOST_REQUIRE(!h->empty());
    BOOST_CHECK(h->back().kind == event_kind::member_left);
    BOOST_CHECK(h->back().reason == reject_reason::none);
}

BOOST_AUTO_TEST_CASE(an_enum_field_out_of_range_is_refused) {
    folded_town t;
    build(t);
    // (tag, byte offset in the value, a value out of range)
    const std::vector<std::tuple<char, std::size_t, char>> fields = {
        {'M', 0, 7},       // role
        {'L', 24, 9},      // claim status
        {'X', 48, 9},      // match status
        {'P', 10, 9},      // intensity
        {'P', 9, '\xc8'},  // category (200)
    };
    for (const auto& [tag, at, bad] : fields) {
        BOOST_TEST_CONTEXT("tag " << tag << ", byte " << at) {
            for (const auto& [k, v] : state_entries(*t.db)) {
                if (k[0] != tag) continue;
                std::string changed = v;
                changed[at] = bad;
                put(*t.db, column::state, k, changed);
                check_refused(*t.db, "out of range");
                put(*t.db, column::state, k, v);
                break;
            }
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
