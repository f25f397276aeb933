// Invitations replay as they were folded: a log with a newcomer's invitation redeemed (and a
// second redemption of it, rejected), a device added, keys replaced (old ones revoked and then
// refused), and closed invitations forgotten a week on, folded live by the projector as it is
// appended, gives the same store digest as a rebuild of a fresh store from the whole log; and a
// restart loads exactly that state.
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <memory>

#include "ledger/core/crypto.h"
#include "ledger/log/local_log.h"
#include "projections/projector.h"
#include "projections/state_codec.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_keys.h"

using namespace uurwerk;
using uurwerk::testing::key_filled_with;
using uurwerk::testing::temp_dir;

namespace {

constexpr community_id town{3};
constexpr std::int64_t day_ms = 24 * 3600 * 1000;

invitation_code code_of(std::uint8_t n) {
    invitation_code c;
    c.fill(n);
    return c;
}

digest digest_of(const store& db) {
    auto d = db.state_digest();
    BOOST_REQUIRE(d.ok());
    return *d;
}

// The log, on a clock the test sets, and the events it appends (each signed).
struct invitation_log {
    std::shared_ptr<std::atomic<std::int64_t>> clock =
        std::make_shared<std::atomic<std::int64_t>>(1'700'000'000'000);
    std::unique_ptr<local_log> log;
    std::map<std::string, std::uint64_t> seqs;

    explicit invitation_log(const std::filesystem::path& dir) {
        local_log_options o;
        o.dir = dir;
        o.clock = [c = clock] { return time_ms{c->load()}; };
        auto opened = local_log::open(o);
        BOOST_REQUIRE(opened.ok());
        log = std::move(*opened);
    }

    time_ms now() const { return time_ms{clock->load()}; }

    event_id append(const signing_key& key, member_id author, event_payload p,
                    std::optional<std::uint64_t> seq = std::nullopt) {
        const auto id = random_event_id();
        const auto s = seq ? *seq : ++seqs[key.public_bytes().hex()];
        const event_body b{id, town, author, sequence{s}, now(), std::nullopt, std::move(p)};
        BOOST_REQUIRE(log->append(encode_envelope(key.seal(b))).ok());
        clock->fetch_add(1000);
        return id;
    }

    event_id invite(const signing_key& key, member_id author, invitation_purpose purpose,
                    member_id m, std::uint8_t code) {
        return append(key, author,
                      invitation_issued{purpose, m, role::member, false,
                                        invitation_code_digest(code_of(code)),
                                        time_ms{now().value + day_ms}});
    }
    void redeem(const signing_key& key, member_id author, const event_id& inv, std::uint8_t code) {
        append(key, author, invitation_redeemed{inv, code_of(code)}, 1);
    }
};

}  // namespace

BOOST_AUTO_TEST_CASE(invitations_fold_live_and_rebuilt_to_the_same_digest) {
    temp_dir dir("invitation-replay");
    invitation_log l(dir.path / "log");
    key_cache keys;
    const auto k1 = key_filled_with(1), k2 = key_filled_with(2), newcomer = key_filled_with(50),
               thief = key_filled_with(51), phone = key_filled_with(52),
               fresh = key_filled_with(53);
    digest live;
    {
        auto db = store::open(dir.path / "live");
        BOOST_REQUIRE(db.ok());
        auto p = projector::open(*l.log, **db, keys, {});
        BOOST_REQUIRE(p.ok());
        (*p)->start();
        l.append(k1, member_id{1}, community_founded{"Noord", policy{}});
        l.append(
            k1, member_id{1},
            member_admitted{member_id{2}, k2.public_bytes(), role::member, true, std::nullopt});
        const auto join = l.invite(k1, member_id{1}, invitation_purpose::join, member_id{5}, 1);
        l.redeem(newcomer, member_id{5}, join, 1);
        l.redeem(thief, member_id{5}, join, 1);  // rejected: used (the log takes it as it is)
        const auto device =
            l.invite(k2, member_id{2}, invitation_purpose::add_device, member_id{2}, 2);
        l.redeem(phone, member_id{2}, device, 2);
        const auto replace =
            l.invite(k1, member_id{1}, invitation_purpose::replace_keys, member_id{2}, 3);
        l.redeem(fresh, member_id{2}, replace, 3);
        l.append(k2, member_id{2}, transfer{member_id{5}, minutes{5}, std::nullopt});  // revoked
        // Nine days on, the next invitation forgets the three closed ones.
        l.clock->fetch_add(9 * day_ms);
        l.invite(k1, member_id{1}, invitation_purpose::join, member_id{6}, 4);
        const offset last{l.log->end().value - 1};
        BOOST_REQUIRE((*p)->wait_applied(last, std::chrono::seconds(30)));
        (*p)->stop();
        const auto reasons = [&](std::uint64_t o) {
            return reason_name((*p)->verdict_at(offset{o})->decided.reason);
        };
        BOOST_CHECK_EQUAL(reasons(3), "none");             // the newcomer's redemption
        BOOST_CHECK_EQUAL(reasons(4), "invitation_used");  // the second one
        BOOST_CHECK_EQUAL(reasons(6), "none");
        BOOST_CHECK_EQUAL(reasons(8), "none");
        BOOST_CHECK_EQUAL(reasons(9), "signer_revoked");
        BOOST_CHECK_EQUAL(reasons(10), "none");
        (*p)->read_state([&](const ledger_state& s) {
            const auto& c = s.communities.at(town);
            BOOST_CHECK(c.members.contains(member_id{5}));
            BOOST_CHECK(!c.keys.contains(thief.public_bytes()));
            BOOST_CHECK(c.keys.at(k2.public_bytes()).revoked);
            BOOST_CHECK(c.keys.at(phone.public_bytes()).revoked);
            BOOST_CHECK(!c.keys.at(fresh.public_bytes()).revoked);
            BOOST_CHECK_EQUAL(c.invitations.size(), 1u);  // the others forgotten
            return 0;
        });
        live = digest_of(**db);
    }
    // A restart loads what was folded, forgotten invitations gone from the store too.
    {
        auto db = store::open(dir.path / "live");
        BOOST_REQUIRE(db.ok());
        auto loaded = load_state(**db);
        BOOST_REQUIRE(loaded.ok());
        BOOST_CHECK_EQUAL(loaded->ledger.communities.at(town).invitations.size(), 1u);
        BOOST_CHECK_EQUAL(
            loaded->ledger.communities.at(town).keys.at(fresh.public_bytes()).last_seq.value, 1u);
    }
    // A rebuild from the whole log reaches the very same bytes.
    auto db = store::open(dir.path / "rebuilt");
    BOOST_REQUIRE(db.ok());
    projector_options o;
    o.check = signature_check::trust_local_log;
    auto p = projector::open(*l.log, **db, keys, o);
    BOOST_REQUIRE(p.ok());
    BOOST_REQUIRE((*p)->catch_up().ok());
    BOOST_CHECK(digest_of(**db) == live);
}
