// No personal data in the log (issue: privacy under the AVG). Planted personal strings (a name,
// a street, a phone number) are written through every kind of event that takes a free text, by
// the same JSON path as POST /v1/events; then every byte of the data folder is scanned: the
// strings are only under personal/. And a write whose text does not match its commitment is
// refused before anything is written, the log and the personal-data store unchanged.
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "api/json/json.h"
#include "api/node/admin.h"
#include "api/node/node.h"
#include "ledger/core/crypto.h"
#include "projections/query.h"
#include "projections/state_codec.h"
#include "tests/support/folder_bytes.h"
#include "tests/support/temp_dir.h"

using namespace uurwerk;
using uurwerk::testing::folder_bytes;
using uurwerk::testing::temp_dir;

namespace {

// The error's message, or "" for a value (Boost evaluates a check's message even when it passes).
template <typename T>
std::string why(const result<T>& r) {
    return r.ok() ? std::string() : r.err().message;
}

struct town {
    temp_dir dir{"personal-data"};
    std::unique_ptr<node> n;
    signing_key coordinator = signing_key::generate().value();
    signing_key ann = signing_key::generate().value();
    signing_key bob = signing_key::generate().value();
    std::uint64_t seq[4] = {0, 0, 0, 0};
    const community_id c{31};
    log_clock clock = wall_clock();  // the log's (a test of the retention period moves its own)
    std::chrono::milliseconds retention_sweep_interval{std::chrono::hours(1)};

    void open() {
        node_options o;
        o.data_dir = dir.path / "data";
        o.clock = clock;
        o.retention_sweep_interval = retention_sweep_interval;
        o.apply_timeout = std::chrono::milliseconds(5000);
        auto opened = node::open(o);
        BOOST_REQUIRE_MESSAGE(opened.ok(), why(opened));
        n = std::move(*opened);
    }
    // The text event `id` of community `cc` committed to with `d`, as the node reads it.
    std::optional<std::string> text_of(community_id cc, const event_id& id, const digest& d) {
        auto text = n->personal_text_of(cc, id, d);
        BOOST_REQUIRE_MESSAGE(text.ok(), why(text));
        return *text;
    }
    signing_key& key_of(member_id m) {
        return m.value == 1 ? coordinator : m.value == 2 ? ann : bob;
    }

    // Signs `p` as `m` and submits it, with `text` beside it, through the JSON of
    // POST /v1/events (submission_to_json, then submission_from_json as the route reads it).
    result<submit_outcome> send(member_id m, event_payload p,
                                const std::optional<personal_text>& text, event_id id) {
        event_body b{id, c, m, sequence{++seq[m.value]}, time_ms{0}, std::nullopt, std::move(p)};
        const std::string json = submission_to_json(key_of(m).seal(b), text);
        auto sent = submission_from_json(json);
        if (!sent) return sent.err();
        auto r = n->submit(std::move(sent->envelope), std::move(sent->personal));
        if (!r) --seq[m.value];  // refused before the log: the sequence number was not used
        return r;
    }
    // The same with a text committed to with a fresh salt, the payload made by `make` from its
    // commitment; requires acceptance.
    event_id accepted_with_text(member_id m, const std::string& text,
                                const std::function<event_payload(digest)>& make) {
        const auto t = commit_fresh(text);
        const event_id id = random_event_id();
        auto r = send(m, make(t.commitment), t.personal, id);
        BOOST_REQUIRE_MESSAGE(r.ok(), why(r));
        BOOST_CHECK_MESSAGE(r->decided.accepted(), std::string(reason_name(r->decided.reason)));
        return id;
    }
    event_id accepted(member_id m, event_payload p) {
        const event_id id = random_event_id();
        auto r = send(m, std::move(p), std::nullopt, id);
        BOOST_REQUIRE_MESSAGE(r.ok(), why(r));
        BOOST_CHECK_MESSAGE(r->decided.accepted(), std::string(reason_name(r->decided.reason)));
        return id;
    }
    void found(std::uint32_t retention_days = 0) {
        policy p;
        p.credit_limit = minutes{600};
        p.retention_days = retention_days;
        accepted(member_id{1}, community_founded{"Tijdbank Oost", p});
        accepted(member_id{1}, member_admitted{member_id{2}, ann.public_bytes(), role::member, true,
                                               std::nullopt});
        accepted(member_id{1}, member_admitted{member_id{3}, bob.public_bytes(), role::member, true,
                                               std::nullopt});
    }
};

// How many texts the node's personal-data store holds (none when it cannot say).
std::size_t texts(node& n) {
    auto count = n.personal().count();
    return count.ok() ? *count : 0;
}

// Where in the folder's files `needle` occurs: the relative paths.
std::vector<std::string> found_in(const std::map<std::string, std::string>& files,
                                  const std::string& needle) {
    std::vector<std::string> out;
    for (const auto& [path, bytes] : files)
        if (bytes.find(needle) != std::string::npos) out.push_back(path);
    return out;
}

// Checks that `gone` is in none of the folder's files (and says in which it is).
void check_nowhere(const std::map<std::string, std::string>& files, const std::string& gone) {
    const auto in = found_in(files, gone);
    BOOST_CHECK_MESSAGE(in.empty(), "\"" << gone << "\" is still in " << (in.empty() ? "" : in[0]));
}

}  // namespace

BOOST_AUTO_TEST_CASE(planted_personal_strings_are_only_under_personal_after_every_text_route) {
    town t;
    t.open();
    t.found();
    const member_id coordinator{1}, ann{2}, bob{3};
    // One planted string per kind of event that takes a text.
    std::vector<std::string> planted;
    auto plant = [&](const std::string& what) {
        planted.push_back(what + " Jan Jansen-" + std::to_string(planted.size()) +
                          ", Kerkstraat 1" + std::to_string(planted.size()) + ", 06-1234567" +
                          std::to_string(planted.size()));
        return planted.back();
    };
    const auto offer = t.accepted_with_text(ann, plant("offer"), [](digest d) -> event_payload {
        return offer_posted{{category::shopping, d, intensity::once, "3512", 0}};
    });
    t.accepted_with_text(bob, plant("request"), [](digest d) -> event_payload {
        return request_posted{{category::shopping, d, intensity::once, "3512", 0}};
    });
    t.accepted_with_text(coordinator, plant("hidden"), [&](digest d) -> event_payload {
        return post_hidden{offer, d};
    });
    const auto claim = t.accepted_with_text(ann, plant("claim"), [&](digest d) -> event_payload {
        return hours_claimed{bob, minutes{60}, std::nullopt, d};
    });
    t.accepted(bob, hours_confirmed{claim});
    t.accepted_with_text(bob, plant("endorsement"), [&](digest d) -> event_payload {
        return endorsement{ann, claim, d};
    });
    const auto disputed =
        t.accepted_with_text(ann, plant("claim2"), [&](digest d) -> event_payload {
            return hours_claimed{bob, minutes{30}, std::nullopt, d};
        });
    t.accepted_with_text(bob, plant("dispute"), [&](digest d) -> event_payload {
        return hours_disputed{disputed, d};
    });
    t.accepted_with_text(bob, plant("transfer"), [&](digest d) -> event_payload {
        return transfer{ann, minutes{15}, d};
    });
    t.accepted_with_text(coordinator, plant("reversal"), [&](digest d) -> event_payload {
        return reversal{claim, d};
    });
    t.accepted_with_text(ann, "name=" + plant("profile"), [&](digest d) -> event_payload {
        return profile_updated{ann, d};
    });
    t.accepted_with_text(coordinator, "name=" + plant("admitted"), [&](digest d) -> event_payload {
        return member_admitted{member_id{4}, std::nullopt, role::member, true, d};
    });
    t.accepted_with_text(coordinator, plant("suspension"), [&](digest d) -> event_payload {
        return member_suspended{bob, d};
    });
    // The reads give the text back where the API shows one (the request is still open).
    auto requests = read_open_posts(t.n->projections(t.c), t.c, false, category::shopping, 10);
    BOOST_REQUIRE(requests.ok());
    BOOST_REQUIRE_EQUAL(requests->size(), 1u);
    auto shown = t.n->personal_text_of(t.c, requests->front().id, requests->front().text_digest);
    BOOST_REQUIRE(shown.ok() && shown->has_value());
    BOOST_CHECK_EQUAL(**shown, planted[1]);

    // Closed (so everything is on disk), every byte of the data folder is scanned.
    t.n.reset();
    const auto files = folder_bytes(t.dir.path / "data");
    for (const auto& s : planted) {
        for (const auto& path : found_in(files, s))
            BOOST_CHECK_MESSAGE(path.starts_with("personal/"), "\"" << s << "\" is in " << path);
        // Parts of it too: the name, the street, the phone number.
        for (const std::string part : {"Jan Jansen", "Kerkstraat", "06-1234567"})
            for (const auto& path : found_in(files, part))
                BOOST_CHECK_MESSAGE(path.starts_with("personal/"), part << " is in " << path);
    }
    // The scan is not vacuous: the log, the store and the personal-data store each hold bytes.
    for (const std::string folder : {"log/", "store/", "personal/"}) {
        std::size_t bytes = 0;
        for (const auto& [path, content] : files)
            if (path.starts_with(folder)) bytes += content.size();
        BOOST_CHECK_MESSAGE(bytes > 0, folder << " is empty");
    }
    // And the texts are kept: reopened, the store has every one, each under its commitment.
    t.open();
    auto count = t.n->personal().count();
    BOOST_REQUIRE(count.ok());
    BOOST_CHECK_EQUAL(*count, planted.size());
}

BOOST_AUTO_TEST_CASE(a_text_that_does_not_match_its_commitment_writes_nothing) {
    town t;
    t.open();
    t.found();
    const member_id ann{2};
    const auto log_end = t.n->log(t.c).end();
    const auto text = commit_fresh("Mevrouw Bakker, Dorpsstraat 3");
    auto post = [&](text_commitment d) -> event_payload {
        return offer_posted{{category::companionship, d, intensity::once, "3512", 0}};
    };
    auto other = text.personal;
    other.text = "Mevrouw Bakker, Dorpsstraat 4";
    auto other_salt = text.personal;
    other_salt.salt.b[0] ^= 1;
    const auto long_text = commit_fresh(std::string(601, 'x'));
    struct attempt {
        const char* what;
        event_payload payload;
        std::optional<personal_text> personal;
    };
    const std::vector<attempt> attempts{
        {"no text beside a commitment", post(text.commitment), std::nullopt},
        {"a text beside no commitment", post(std::nullopt), text.personal},
        {"another text", post(text.commitment), other},
        {"another salt", post(text.commitment), other_salt},
        {"601 characters", post(long_text.commitment), long_text.personal},
    };
    for (const auto& a : attempts) {
        auto r = t.send(ann, a.payload, a.personal, random_event_id());
        BOOST_REQUIRE_MESSAGE(!r.ok(), a.what << ": accepted");
        BOOST_CHECK_MESSAGE(r.err().code == errc::personal_data_mismatch,
                            a.what << ": " << name(r.err().code) << " " << r.err().message);
    }
    BOOST_CHECK(t.n->log(t.c).end() == log_end);
    auto count = t.n->personal().count();
    BOOST_REQUIRE(count.ok());
    BOOST_CHECK_EQUAL(*count, 0u);
    // A forged signature with a matching text: refused before the text is kept.
    const auto id = random_event_id();
    event_body b{id, t.c, ann, sequence{1}, time_ms{0}, std::nullopt, post(text.commitment)};
    auto sealed = t.ann.seal(b);
    sealed.sig.b[5] ^= 1;
    auto r = t.n->submit(stored_envelope::encode(sealed), text.personal);
    BOOST_REQUIRE(!r.ok());
    BOOST_CHECK_EQUAL(r.err().code, errc::bad_signature);
    count = t.n->personal().count();
    BOOST_REQUIRE(count.ok());
    BOOST_CHECK_EQUAL(*count, 0u);
}

BOOST_AUTO_TEST_CASE(a_member_who_leaves_is_erased_everywhere_and_the_log_stays_as_it_was) {
    town t;
    t.open();
    t.found();
    const member_id coordinator{1}, ann{2}, bob{3};
    const std::string ann_offer = "Ann Smit, Lindelaan 7, 06-55501234";
    const std::string ann_note = "geholpen door Ann Smit, sleutel onder de mat";
    const std::string ann_gift = "Ann Smit geeft haar uren aan het fonds";
    const std::string bob_request = "Bob Kok, Beukenweg 9, 06-55509876";
    const std::string ann_profile = "name=Ann Smit\nphone=06-55501234\nemail=ann@smit.example\n";
    t.accepted_with_text(ann, ann_profile, [&](digest d) -> event_payload {
        return profile_updated{ann, d};
    });
    const auto offer = t.accepted_with_text(ann, ann_offer, [](digest d) -> event_payload {
        return offer_posted{{category::shopping, d, intensity::once, "3512", 0}};
    });
    t.accepted_with_text(bob, bob_request, [](digest d) -> event_payload {
        return request_posted{{category::shopping, d, intensity::once, "3512", 0}};
    });
    const auto claim = t.accepted_with_text(ann, ann_note, [&](digest d) -> event_payload {
        return hours_claimed{bob, minutes{60}, std::nullopt, d};
    });
    auto verdict_of = [&](member_id m, event_payload p) {
        auto r = t.send(m, std::move(p), std::nullopt, random_event_id());
        BOOST_REQUIRE_MESSAGE(r.ok(), why(r));
        return std::string(reason_name(r->decided.reason));
    };
    // Not while a claim is pending, nor with a balance; nor for another member.
    BOOST_CHECK_EQUAL(verdict_of(ann, member_left{ann}), "claims_pending");
    t.accepted(bob, hours_confirmed{claim});
    BOOST_CHECK_EQUAL(verdict_of(ann, member_left{ann}), "balance_not_settled");
    t.accepted_with_text(ann, ann_gift, [&](digest d) -> event_payload {
        return transfer{community_fund, minutes{60}, d};
    });
    BOOST_CHECK_EQUAL(verdict_of(bob, member_left{ann}), "not_coordinator");
    const auto log_before = folder_bytes(t.dir.path / "data" / "log");
    BOOST_CHECK_EQUAL(verdict_of(ann, member_left{ann}), "none");
    // The erasure follows the verdict on the projector's thread.
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (texts(*t.n) != 1 && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    BOOST_CHECK_EQUAL(texts(*t.n), 1u);  // Bob's request only
    // A former member signs nothing more, and nobody gives to or reinstates them.
    auto again = t.send(ann, offer_posted{{category::lifts, std::nullopt, intensity::once, "", 0}},
                        std::nullopt, random_event_id());
    BOOST_CHECK(!again.ok() || again->decided.reason == reject_reason::member_has_left);
    BOOST_CHECK_EQUAL(verdict_of(bob, transfer{ann, minutes{5}, std::nullopt}), "member_has_left");
    BOOST_CHECK_EQUAL(verdict_of(coordinator, member_reinstated{ann}), "member_has_left");
    auto rows = query::members(t.n->folder(t.c), t.c, member_id{0}, 1000);
    BOOST_REQUIRE(rows.ok());
    BOOST_REQUIRE(!rows->more);
    for (const auto& row : rows->rows) BOOST_CHECK_EQUAL(row.left, row.id == ann);
    // Her history still reads, its last line her leaving (the history codec once refused a kind
    // past checkpoint as a damaged record).
    auto lines = read_history(t.n->projections(t.c), t.c, ann, offset{0}, 100);
    BOOST_REQUIRE_MESSAGE(lines.ok(), why(lines));
    BOOST_REQUIRE(!lines->empty());
    BOOST_CHECK(lines->back().kind == event_kind::member_left);
    // Her events stay in the log as they were, signed; the text of her offer is gone.
    auto found = t.n->find_event(scoped_id{t.c, offer});
    BOOST_REQUIRE(found);
    auto record = t.n->record_at(found->partition, found->first.at);
    BOOST_REQUIRE(record.ok());
    auto env = decode_envelope(record->payload);
    BOOST_REQUIRE(env.ok());
    key_cache keys;
    BOOST_CHECK(keys.verify_envelope(*env));
    const auto digest_of_offer = text_commitment_of(decode_body(env->body).value());
    auto text = t.n->personal_text_of(t.c, offer, digest_of_offer);
    BOOST_REQUIRE(text.ok());
    BOOST_CHECK(!text->has_value());

    t.n.reset();
    const auto files = folder_bytes(t.dir.path / "data");
    const auto log_after = folder_bytes(t.dir.path / "data" / "log");
    // The log only grew: every byte it had before the member left is still there.
    for (const auto& [path, bytes] : log_before) {
        BOOST_REQUIRE(log_after.count(path));
        BOOST_CHECK(log_after.at(path).compare(0, bytes.size(), bytes) == 0);
    }
    for (const auto& gone :
         {ann_offer, ann_note, ann_gift, std::string("Ann Smit"), std::string("ann@smit.example")})
        check_nowhere(files, gone);
    // Bob's text stays, and only under personal/.
    const auto bob_in = found_in(files, bob_request);
    BOOST_CHECK_MESSAGE(!bob_in.empty(), "the scan does not see a kept text");
    for (const auto& path : bob_in) BOOST_CHECK(path.starts_with("personal/"));
    // Reopened: still erased, still one text.
    t.open();
    BOOST_CHECK_EQUAL(texts(*t.n), 1u);
}

// A rejected event's text is of no use to the ledger: it is deleted as soon as the verdict is
// decided (no read shows it) and physically gone after the next sweep. An event that uses an
// accepted event's id again (its text under the same key) deletes nothing of the first's.
BOOST_AUTO_TEST_CASE(a_rejected_events_text_is_deleted_and_an_accepted_ones_is_kept) {
    town t;
    t.open();
    t.found();
    const member_id ann{2}, bob{3};
    const std::string kept_note = "voor Bob Kok, boodschappen Beukenweg 9";
    const std::string refused_note = "Ann Smit, Lindelaan 7, veel te veel minuten";
    const auto kept = commit_fresh(kept_note);
    const event_id gift = random_event_id();
    auto r = t.send(ann, transfer{bob, minutes{30}, kept.commitment}, kept.personal, gift);
    BOOST_REQUIRE_MESSAGE(r.ok(), why(r));
    BOOST_REQUIRE(r->decided.accepted());
    // Over the policy's largest transfer: rejected, with its text.
    const auto refused = commit_fresh(refused_note);
    const event_id too_much = random_event_id();
    r = t.send(ann, transfer{bob, minutes{10'000}, refused.commitment}, refused.personal, too_much);
    BOOST_REQUIRE_MESSAGE(r.ok(), why(r));
    BOOST_CHECK_EQUAL(reason_name(r->decided.reason), "amount_over_policy");
    // The gift's id again, with another body and the same text (the same key in the store):
    // rejected, and the gift's text stays.
    r = t.send(ann, transfer{bob, minutes{31}, kept.commitment}, kept.personal, gift);
    BOOST_REQUIRE_MESSAGE(r.ok(), why(r));
    BOOST_CHECK_EQUAL(reason_name(r->decided.reason), "id_reused_with_different_content");
    const auto text_of = [&](const event_id& id, const digest& d) { return t.text_of(t.c, id, d); };
    // The deletion follows the verdict on the projector's thread.
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (text_of(too_much, refused.commitment) && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    BOOST_CHECK(!text_of(too_much, refused.commitment));
    BOOST_CHECK(text_of(gift, kept.commitment) == kept_note);
    BOOST_CHECK_EQUAL(texts(*t.n), 1u);
    // Ann's export no longer lists it either.
    auto ann_texts = t.n->personal().texts_of(t.c, ann);
    BOOST_REQUIRE_MESSAGE(ann_texts.ok(), why(ann_texts));
    for (const auto& x : *ann_texts) BOOST_CHECK(x.id != too_much);
    // The sweep makes it physically gone.
    auto swept = t.n->sweep_retention(t.clock());
    BOOST_REQUIRE_MESSAGE(swept.ok(), why(swept));
    t.n.reset();
    const auto files = folder_bytes(t.dir.path / "data");
    check_nowhere(files, refused_note);
    const auto kept_in = found_in(files, kept_note);
    BOOST_CHECK_MESSAGE(!kept_in.empty(), "the scan does not see a kept text");
    for (const auto& path : kept_in) BOOST_CHECK(path.starts_with("personal/"));
}

// A text is made durable before its event is appended; when the append never happens (the node
// killed between the two, or the log refusing it), the text is left with no event. The node
// erases such texts, bytes and all, when it opens: one kept for an event id never sent, one kept
// under another community for the id of an accepted event (ids are scoped by community, so that
// event does not keep it), and one of an event the log holds refused (as a stop between the
// projector's commit and its deleting the text leaves it). The accepted event's own text stays,
// a second opening erases nothing more, and a node whose log is gone (a folder not mounted)
// erases nothing at all.
BOOST_AUTO_TEST_CASE(texts_whose_event_never_reached_the_log_are_erased_when_the_node_opens) {
    town t;
    t.open();
    t.found();
    const member_id ann{2};
    const std::string kept_note = "Ann Smit doet boodschappen, Lindelaan 7";
    const auto offer = t.accepted_with_text(ann, kept_note, [](digest d) -> event_payload {
        return offer_posted{{category::shopping, d, intensity::once, "3512", 0}};
    });
    const member_id concerned[] = {ann};
    // As a node killed after keeping the text and before appending its event.
    const std::string lost_note = "Bob Kok, Beukenweg 9, 06-12345678";
    const auto lost = commit_fresh(lost_note);
    const event_id never_sent = random_event_id();
    auto put = t.n->personal().put(t.c, never_sent, lost.commitment, lost.personal, concerned,
                                   text_durability::synced_now);
    BOOST_REQUIRE_MESSAGE(put.ok(), why(put));
    // Under a community the log has never seen, with the id of the accepted offer.
    const std::string elsewhere_note = "Ann Smit in een andere tijdbank, Eikenlaan 3";
    const auto elsewhere = commit_fresh(elsewhere_note);
    const community_id other{t.c.value + 1};
    put = t.n->personal().put(other, offer, elsewhere.commitment, elsewhere.personal, concerned,
                              text_durability::synced_now);
    BOOST_REQUIRE_MESSAGE(put.ok(), why(put));
    // Refused (over the policy's largest transfer), its text deleted as it was decided, then
    // kept again as a stop before that deletion would leave it.
    const std::string refused_note = "Ann Smit aan Bob Kok, veel te veel minuten";
    const auto refused = commit_fresh(refused_note);
    const event_id too_much = random_event_id();
    auto sent = t.send(ann, transfer{member_id{3}, minutes{10'000}, refused.commitment},
                       refused.personal, too_much);
    BOOST_REQUIRE_MESSAGE(sent.ok(), why(sent));
    BOOST_REQUIRE_EQUAL(reason_name(sent->decided.reason), "amount_over_policy");
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (texts(*t.n) != 3 && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    put = t.n->personal().put(t.c, too_much, refused.commitment, refused.personal, concerned,
                              text_durability::synced_now);
    BOOST_REQUIRE_MESSAGE(put.ok(), why(put));
    BOOST_REQUIRE_EQUAL(texts(*t.n), 4u);

    t.n.reset();
    t.open();
    BOOST_CHECK_EQUAL(texts(*t.n), 1u);
    BOOST_CHECK(!t.text_of(t.c, never_sent, lost.commitment));
    BOOST_CHECK(!t.text_of(other, offer, elsewhere.commitment));
    BOOST_CHECK(!t.text_of(t.c, too_much, refused.commitment));
    // The index entries went with them: Ann's export lists her offer only.
    auto ann_texts = t.n->personal().texts_of(t.c, ann);
    BOOST_REQUIRE_MESSAGE(ann_texts.ok(), why(ann_texts));
    BOOST_REQUIRE_EQUAL(ann_texts->size(), 1u);
    BOOST_CHECK(ann_texts->front().id == offer);
    BOOST_CHECK_EQUAL(ann_texts->front().text.text, kept_note);
    auto other_texts = t.n->personal().texts_of(other, ann);
    BOOST_REQUIRE_MESSAGE(other_texts.ok(), why(other_texts));
    BOOST_CHECK(other_texts->empty());
    // Idempotent: a second opening keeps the one text.
    t.n.reset();
    t.open();
    BOOST_CHECK_EQUAL(texts(*t.n), 1u);
    BOOST_CHECK(t.text_of(t.c, offer, ann_texts->front().commitment) == kept_note);
    // Physically gone, from every byte of the folder.
    t.n.reset();
    const auto files = folder_bytes(t.dir.path / "data");
    check_nowhere(files, lost_note);
    check_nowhere(files, elsewhere_note);
    check_nowhere(files, refused_note);
    const auto kept_in = found_in(files, kept_note);
    BOOST_CHECK_MESSAGE(!kept_in.empty(), "the scan does not see a kept text");
    for (const auto& path : kept_in) BOOST_CHECK(path.starts_with("personal/"));

    // The log and the projections gone (a volume not mounted, then the store removed as the
    // node's message about a store ahead of its log says): an empty log judges no text.
    std::filesystem::remove_all(t.dir.path / "data" / "log");
    std::filesystem::remove_all(t.dir.path / "data" / "store");
    t.open();
    BOOST_CHECK_EQUAL(texts(*t.n), 1u);
    // The index entries went with their texts (texts_of() skips an entry without its text, so
    // counted here by a member's erasure, which counts entries): Ann's offer's one only.
    auto elsewhere_entries = t.n->personal().erase_member(other, ann);
    BOOST_REQUIRE_MESSAGE(elsewhere_entries.ok(), why(elsewhere_entries));
    BOOST_CHECK_EQUAL(*elsewhere_entries, 0u);
    auto entries = t.n->personal().erase_member(t.c, ann);
    BOOST_REQUIRE_MESSAGE(entries.ok(), why(entries));
    BOOST_CHECK_EQUAL(*entries, 1u);
}

// A profile is kept only while it is the member's: the one a new profile replaces is erased,
// bytes and all; the new one is read.
BOOST_AUTO_TEST_CASE(a_replaced_profile_is_erased) {
    town t;
    t.open();
    t.found();
    const member_id ann{2};
    const std::string before = "name=Ann Smit\nphone=06-55507777\nemail=oud@smit.example\n";
    const std::string after = "name=Ann Smit\n";
    t.accepted_with_text(ann, before, [&](digest d) -> event_payload {
        return profile_updated{ann, d};
    });
    BOOST_CHECK_EQUAL(texts(*t.n), 1u);
    const auto now_id = t.accepted_with_text(ann, after, [&](digest d) -> event_payload {
        return profile_updated{ann, d};
    });
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (texts(*t.n) != 1 && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    BOOST_CHECK_EQUAL(texts(*t.n), 1u);
    auto row = query::member(t.n->folder(t.c), t.c, ann);
    BOOST_REQUIRE(row.ok());
    BOOST_CHECK(row->profile_event == now_id);
    auto kept = t.n->personal_text_of(t.c, row->profile_event, row->profile_digest);
    BOOST_REQUIRE(kept.ok() && kept->has_value());
    BOOST_CHECK_EQUAL(**kept, after);
    t.n.reset();
    const auto files = folder_bytes(t.dir.path / "data");
    for (const std::string gone : {"06-55507777", "oud@smit.example"})
        BOOST_CHECK_MESSAGE(found_in(files, gone).empty(), gone << " is still on disk");
}

// The retention period (ledger/core/retention.h): once a community's period has passed since a
// post closed or a claim settled (the log's clock), the node's sweep deletes their texts, bytes
// and all, in one go; an open post's and a pending claim's stay, readable.
BOOST_AUTO_TEST_CASE(texts_past_the_retention_period_are_swept_from_every_byte_the_rest_stays) {
    town t;
    constexpr std::int64_t day_ms = 24 * 60 * 60 * 1000;
    auto now = std::make_shared<std::atomic<std::int64_t>>(1'700'000'000'000);
    t.clock = [now] { return time_ms{now->load()}; };
    t.retention_sweep_interval = std::chrono::milliseconds(0);  // the test sweeps itself
    t.open();
    t.found(1);  // one day
    const member_id coordinator{1}, ann{2}, bob{3};
    // The planted texts: five of closed posts and a settled claim, two of an open post and a
    // pending claim.
    const struct {
        std::string withdrawn{"Ann Smit, Lindelaan 7, 06-55501234"};
        std::string hidden{"Bob Kok, Beukenweg 9, 06-55509876"};
        std::string hiding_reason{"verborgen: adres van Bob Kok in de tekst"};
        std::string settled_note{"sleutel onder de mat bij Bob Kok"};
        std::string dispute_reason{"Bob Kok: Ann kwam een uur later"};
        std::string open{"Ann Smit doet boodschappen, Lindelaan"};
        std::string pending_note{"Ann Smit, nog niet bevestigd, Molenweg 3"};
    } planted;
    auto post = [&](member_id m, const std::string& text) {
        return t.accepted_with_text(m, text, [](digest d) -> event_payload {
            return offer_posted{{category::shopping, d, intensity::once, "3512", 0}};
        });
    };
    const auto withdrawn = post(ann, planted.withdrawn);
    t.accepted(ann, post_withdrawn{withdrawn});
    const auto hidden = post(bob, planted.hidden);
    const auto hiding =
        t.accepted_with_text(coordinator, planted.hiding_reason, [&](digest d) -> event_payload {
            return post_hidden{hidden, d};
        });
    const auto open_post = post(ann, planted.open);
    const auto settled =
        t.accepted_with_text(ann, planted.settled_note, [&](digest d) -> event_payload {
            return hours_claimed{bob, minutes{60}, std::nullopt, d};
        });
    const auto dispute =
        t.accepted_with_text(bob, planted.dispute_reason, [&](digest d) -> event_payload {
            return hours_disputed{settled, d};
        });
    t.accepted(bob, hours_confirmed{settled});
    const auto pending =
        t.accepted_with_text(ann, planted.pending_note, [&](digest d) -> event_payload {
            return hours_claimed{bob, minutes{30}, std::nullopt, d};
        });
    BOOST_REQUIRE_EQUAL(texts(*t.n), 7u);
    // Each text's commitment, as its event carries it (each text is indexed under its author
    // and the member it names), to read it back as the API's reads do.
    std::map<event_id, digest> commitment;
    for (const member_id m : {coordinator, ann, bob}) {
        const auto of = t.n->personal().texts_of(t.c, m);
        BOOST_REQUIRE_MESSAGE(of.ok(), why(of));
        for (const auto& kept : *of) commitment[kept.id] = kept.commitment;
    }
    BOOST_REQUIRE_EQUAL(commitment.size(), 7u);
    auto text_of = [&](const event_id& id) {
        BOOST_REQUIRE_MESSAGE(commitment.contains(id), "no commitment for " << id.hex());
        auto r = t.n->personal_text_of(t.c, id, commitment.at(id));
        BOOST_REQUIRE_MESSAGE(r.ok(), why(r));
        return *r;
    };
    BOOST_CHECK(text_of(withdrawn) == planted.withdrawn);

    // One ms short of a day after the last of them closed or settled: nothing is due.
    const std::int64_t last_closed = now->load();
    now->store(last_closed + day_ms - 1);
    auto swept = t.n->sweep_retention(t.clock());
    BOOST_REQUIRE_MESSAGE(swept.ok(), why(swept));
    BOOST_CHECK_EQUAL(*swept, 0u);
    BOOST_CHECK_EQUAL(texts(*t.n), 7u);
    // A day after: the withdrawn and the hidden post with its reason, the settled claim's note
    // and its dispute's reason go; the open post and the pending claim stay.
    now->store(last_closed + day_ms);
    swept = t.n->sweep_retention(t.clock());
    BOOST_REQUIRE_MESSAGE(swept.ok(), why(swept));
    BOOST_CHECK_EQUAL(*swept, 5u);
    BOOST_CHECK_EQUAL(texts(*t.n), 2u);
    // Again: nothing more (idempotent), even much later.
    now->store(last_closed + 400 * day_ms);
    swept = t.n->sweep_retention(t.clock());
    BOOST_REQUIRE(swept.ok());
    BOOST_CHECK_EQUAL(*swept, 0u);
    // Reads answer no text for the deleted ones, and the kept ones as they were.
    for (const auto& [id, text] :
         std::vector<std::pair<event_id, std::string>>{{withdrawn, planted.withdrawn},
                                                       {hidden, planted.hidden},
                                                       {hiding, planted.hiding_reason},
                                                       {settled, planted.settled_note},
                                                       {dispute, planted.dispute_reason}})
        BOOST_CHECK_MESSAGE(!text_of(id).has_value(), "\"" << text << "\" is still read");
    BOOST_CHECK(text_of(open_post) == planted.open);
    BOOST_CHECK(text_of(pending) == planted.pending_note);

    // Every byte of the data folder: the deleted texts are nowhere, the kept ones only under
    // personal/.
    t.n.reset();
    const auto files = folder_bytes(t.dir.path / "data");
    for (const auto& gone : {planted.withdrawn, planted.hidden, planted.hiding_reason,
                             planted.settled_note, planted.dispute_reason})
        check_nowhere(files, gone);
    for (const auto& kept : {planted.open, planted.pending_note}) {
        const auto in = found_in(files, kept);
        BOOST_CHECK_MESSAGE(!in.empty(), "\"" << kept << "\" is gone");
        for (const auto& path : in) BOOST_CHECK(path.starts_with("personal/"));
    }
    // Reopened (the open sweeps once more): the same two texts.
    t.open();
    BOOST_CHECK_EQUAL(texts(*t.n), 2u);
}

BOOST_AUTO_TEST_CASE(a_backup_of_a_running_node_keeps_its_texts_and_a_restore_brings_them_back) {
    // The personal-data store cannot be rebuilt from the log: a backup must carry it.
    town t;
    t.open();
    t.found();
    const std::string text = "Mevrouw Jansen, Molenweg 2: boodschappen op dinsdag";
    const auto post = t.accepted_with_text(member_id{2}, text, [](digest d) -> event_payload {
        return request_posted{{category::shopping, d, intensity::once, "3512", 0}};
    });
    const auto backup = t.dir.path / "backup";
    BOOST_REQUIRE(backup_command((t.dir.path / "data").string(), backup.string()).ok());
    t.n.reset();
    const auto restored = t.dir.path / "restored";
    BOOST_REQUIRE(restore_command(backup.string(), restored.string()).ok());
    node_options o;
    o.data_dir = restored;
    o.clock = wall_clock();
    auto n = node::open(o);
    BOOST_REQUIRE_MESSAGE(n.ok(), why(n));
    auto requests = read_open_posts((*n)->projections(t.c), t.c, false, category::shopping, 10);
    BOOST_REQUIRE(requests.ok() && requests->size() == 1u);
    BOOST_CHECK(requests->front().id == post);
    auto kept = (*n)->personal_text_of(t.c, post, requests->front().text_digest);
    BOOST_REQUIRE(kept.ok() && kept->has_value());
    BOOST_CHECK_EQUAL(**kept, text);
}
