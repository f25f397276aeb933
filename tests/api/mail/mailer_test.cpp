// The mail sender in-process (api/mail/mailer.h), on a node of the test's with a clock it turns
// and a relay it can take away: the daily and weekly digests (held items, the open requests that
// fit, the least-heard helpers first), the relay down then back, `never`, and the stop tokens.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <condition_variable>
#include <mutex>

#include "api/mail/mailer.h"
#include "ledger/core/crypto.h"
#include "ledger/core/personal.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_keys.h"
#include "tests/support/test_log.h"
#include "tests/support/test_node.h"

using namespace uurwerk;
using uurwerk::testing::key_filled_with;
using uurwerk::testing::temp_dir;

namespace {

constexpr community_id town{7};
constexpr std::int64_t day_ms = 24 * 3600 * 1000;

// A relay that keeps what it is given, or is down, or hangs (a send that never ends until the
// mailer cancels it, or 20 s pass).
struct kept_relay final : mail_transport {
    struct message {
        std::string to, text;
    };
    std::vector<message> sent;
    bool down = false;
    std::string refused;  // an address the relay refuses for good (a 5xx)
    std::size_t asked = 0;
    std::mutex mutex;
    std::condition_variable changed;
    bool hang = false, cancelled = false, hung = false, released_by_cancel = false;

    result<void> send(const std::string&, const std::string& to, const std::string& m) override {
        {
            std::unique_lock lock(mutex);
            ++asked;
            if (cancelled) return make_error(errc::stopped, "cancelled (test)");
            if (hang) {
                hung = true;
                changed.notify_all();
                released_by_cancel =
                    changed.wait_for(lock, std::chrono::seconds(20), [&] { return cancelled; });
                return make_error(errc::stopped, "given up (test)");
            }
        }
        if (down) return make_error(errc::server_unreachable, "the relay is down (test)");
        if (to == refused) return make_error(errc::server_refused, "550 no such user (test)");
        sent.push_back({to, m});
        return ok_value;
    }
    void cancel() override {
        std::lock_guard lock(mutex);
        cancelled = true;
        changed.notify_all();
    }
    void resume() override {
        std::lock_guard lock(mutex);
        cancelled = false;
    }
};

struct town_with_mail {
    temp_dir dir{"mailer"};
    time_ms now{1'700'000'000'000};
    std::unique_ptr<node> n;
    kept_relay* relay = nullptr;
    std::unique_ptr<mailer> mail;
    signing_key k1 = key_filled_with(1), k2 = key_filled_with(2), k3 = key_filled_with(3),
                k4 = key_filled_with(4), node_key = key_filled_with(100);
    std::map<std::string, std::uint64_t> seq;  // by signing key
    event_id request;

    town_with_mail() {
        n = uurwerk::testing::open_test_node(dir.path / "data", [this] { return now; });
        auto r = std::make_unique<kept_relay>();
        relay = r.get();
        mailer_options o;
        o.from = "tijdbank@example.nl";
        o.app_url = "https://tijdbank.example.nl/";
        o.clock = [this] { return now; };
        auto m = mailer::open(*n, dir.path / "data" / "mail", std::move(o), std::move(r));
        BOOST_REQUIRE_MESSAGE(m.ok(), (m.ok() ? std::string() : m.err().message));
        mail = std::move(*m);
        submit(k1, member_id{1}, community_founded{"Lombok", policy{}});
        for (auto [m, key] : {std::pair{2, &k2}, {3, &k3}, {4, &k4}})
            submit(k1, member_id{1},
                   member_admitted{member_id{static_cast<std::uint64_t>(m)}, key->public_bytes(),
                                   role::member, true, std::nullopt});
        profile(k2, member_id{2}, "name=Ans\nemail=ans@example.nl\n");
        profile(k3, member_id{3}, "name=Bas\nemail=bas@example.nl\nlanguages=en\n");
        profile(k4, member_id{4}, "name=Cees\nemail=cees@example.nl\n");
    }

    event_id submit(const signing_key& key, member_id author, event_payload p,
                    std::optional<personal_text> personal = std::nullopt) {
        const auto id = random_event_id();
        const auto e =
            key.seal(event_body{id, town, author, sequence{++seq[key.public_bytes().hex()]}, now,
                                std::nullopt, std::move(p)});
        auto r = n->submit(stored_envelope::encode(e), std::move(personal));
        BOOST_REQUIRE_MESSAGE(r.ok(), (r.ok() ? std::string() : r.err().message));
        BOOST_REQUIRE_MESSAGE(r->decided.accepted(), static_cast<int>(r->decided.reason));
        return id;
    }
    void profile(const signing_key& key, member_id m, std::string doc) {
        const auto c = commit_fresh(std::move(doc));
        submit(key, m, profile_updated{m, c.commitment}, c.personal);
    }
    std::vector<std::string> sent_to() const {
        std::vector<std::string> out;
        for (const auto& m : relay->sent) out.push_back(m.to);
        return out;
    }
};

bool says(const kept_relay::message& m, const std::string& text) {
    return m.text.find(text) != std::string::npos;
}

}  // namespace

BOOST_AUTO_TEST_CASE(
    weekly_readers_get_one_digest_a_week_with_the_requests_that_fit_least_heard_first) {
    town_with_mail t;
    BOOST_REQUIRE(t.mail->set_frequency(town, member_id{2}, mail_frequency::weekly).ok());
    BOOST_REQUIRE(t.mail->set_frequency(town, member_id{3}, mail_frequency::weekly).ok());
    const post_body shopping{category::shopping, std::nullopt, intensity::once, "3512", 0};
    const auto offer2 = t.submit(t.k2, member_id{2}, offer_posted{shopping});
    t.submit(t.k3, member_id{3}, offer_posted{shopping});
    t.request = t.submit(t.k4, member_id{4}, request_posted{shopping});
    t.submit(t.k1, member_id{1}, node_key_announced{t.node_key.public_bytes()});
    // Ans is proposed (heard); Bas is not.
    t.submit(t.node_key, community_fund,
             match_proposed{t.request, offer2, member_id{2}, 1, 0, 1, 0});
    BOOST_REQUIRE(t.mail->run_once().ok());
    // Cees (at once) hears of the proposal now; Ans's is held for her digest.
    BOOST_CHECK(t.sent_to() == std::vector<std::string>{"cees@example.nl"});
    BOOST_CHECK_EQUAL(t.mail->stats().held, 1u);

    t.now = time_ms{t.now.value + 7 * day_ms - 1};
    BOOST_REQUIRE(t.mail->run_once().ok());
    BOOST_CHECK_EQUAL(t.relay->sent.size(), 1u);  // not yet a week

    t.now = time_ms{t.now.value + 1};
    BOOST_REQUIRE(t.mail->run_once().ok());
    BOOST_REQUIRE_EQUAL(t.relay->sent.size(), 3u);
    // The least heard first: Bas, then Ans.
    const auto& bas = t.relay->sent[1];
    const auto& ans = t.relay->sent[2];
    BOOST_CHECK_EQUAL(bas.to, "bas@example.nl");
    BOOST_CHECK_EQUAL(ans.to, "ans@example.nl");
    BOOST_CHECK(says(bas, "Subject: News from your time bank\r\n"));
    BOOST_CHECK(says(bas, "Open requests that fit your offers:\r\n\r\n- shopping, 3512\r\n"));
    BOOST_CHECK(!says(bas, "This happened"));
    BOOST_CHECK(says(ans, "Subject: Nieuws uit je tijdbank\r\n"));
    BOOST_CHECK(says(ans, "- Een voorstel om te beantwoorden\r\n"));
    BOOST_CHECK(says(ans, "Open vragen die passen bij wat je aanbiedt:"));
    BOOST_CHECK(says(ans, "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"));
    BOOST_CHECK(says(ans, "https://tijdbank.example.nl/#home"));

    // The next week starts now: nothing more until it has passed.
    t.now = time_ms{t.now.value + day_ms};
    BOOST_REQUIRE(t.mail->run_once().ok());
    BOOST_CHECK_EQUAL(t.relay->sent.size(), 3u);
    t.now = time_ms{t.now.value + 6 * day_ms};
    BOOST_REQUIRE(t.mail->run_once().ok());
    BOOST_CHECK_EQUAL(t.relay->sent.size(), 5u);  // the request is still open: it is said again
}

BOOST_AUTO_TEST_CASE(with_the_relay_down_nothing_is_lost_and_never_means_never) {
    town_with_mail t;
    t.relay->down = true;
    for (int i = 0; i < 3; ++i)
        t.submit(t.k2, member_id{2},
                 hours_claimed{member_id{4}, minutes{30}, std::nullopt, std::nullopt});
    auto r = t.mail->run_once();
    BOOST_CHECK(!r.ok() && r.err().code == errc::server_unreachable);
    BOOST_CHECK(t.relay->sent.empty());
    BOOST_CHECK_EQUAL(t.mail->stats().sent, 0u);
    t.relay->down = false;
    BOOST_REQUIRE(t.mail->run_once().ok());
    BOOST_CHECK_EQUAL(t.relay->sent.size(), 3u);
    BOOST_REQUIRE(t.mail->run_once().ok());
    BOOST_CHECK_EQUAL(t.relay->sent.size(), 3u);  // each once

    BOOST_REQUIRE(t.mail->set_frequency(town, member_id{4}, mail_frequency::never).ok());
    t.submit(t.k2, member_id{2},
             hours_claimed{member_id{4}, minutes{30}, std::nullopt, std::nullopt});
    BOOST_REQUIRE(t.mail->run_once().ok());
    BOOST_CHECK_EQUAL(t.relay->sent.size(), 3u);
    BOOST_CHECK_EQUAL(t.mail->stats().not_sent, 1u);
}

BOOST_AUTO_TEST_CASE(a_stop_token_is_one_members_and_a_new_mailer_on_the_same_folder_knows_it) {
    town_with_mail t;
    const auto token = t.mail->unsubscribe_token(town, member_id{4});
    BOOST_CHECK_EQUAL(token.size(), 64u);
    BOOST_CHECK(t.mail->token_matches(town, member_id{4}, token));
    BOOST_CHECK(!t.mail->token_matches(town, member_id{2}, token));
    BOOST_CHECK(!t.mail->token_matches(community_id{8}, member_id{4}, token));
    std::string forged = token;
    forged[10] = forged[10] == 'a' ? 'b' : 'a';
    BOOST_CHECK(!t.mail->token_matches(town, member_id{4}, forged));
    BOOST_CHECK(!t.mail->token_matches(town, member_id{4}, ""));
    BOOST_CHECK(t.mail->unsubscribe_url(town, member_id{4}) ==
                "https://tijdbank.example.nl/v1/mail/unsubscribe?community=7&member=4&token=" +
                    token);
    // The secret is the node's, kept in DIR/mail: the same after a restart of the sender, and
    // what was sent stays sent.
    t.submit(t.k2, member_id{2},
             hours_claimed{member_id{4}, minutes{30}, std::nullopt, std::nullopt});
    BOOST_REQUIRE(t.mail->run_once().ok());
    BOOST_CHECK_EQUAL(t.relay->sent.size(), 1u);
    t.mail.reset();
    auto r = std::make_unique<kept_relay>();
    auto* again = r.get();
    mailer_options o;
    o.from = "tijdbank@example.nl";
    o.clock = [&t] { return t.now; };
    auto m = mailer::open(*t.n, t.dir.path / "data" / "mail", std::move(o), std::move(r));
    BOOST_REQUIRE(m.ok());
    BOOST_CHECK((*m)->token_matches(town, member_id{4}, token));
    BOOST_REQUIRE((*m)->run_once().ok());
    BOOST_CHECK(again->sent.empty());
}

BOOST_AUTO_TEST_CASE(an_address_the_relay_refuses_for_good_holds_up_nobody_else) {
    town_with_mail t;
    t.relay->refused = "cees@example.nl";
    t.submit(t.k2, member_id{2},
             hours_claimed{member_id{4}, minutes{30}, std::nullopt, std::nullopt});
    t.submit(t.k2, member_id{2},
             hours_claimed{member_id{3}, minutes{30}, std::nullopt, std::nullopt});
    BOOST_REQUIRE(t.mail->run_once().ok());
    BOOST_CHECK(t.sent_to() == std::vector<std::string>{"bas@example.nl"});
    BOOST_CHECK_EQUAL(t.mail->stats().not_sent, 1u);
    const auto asked = t.relay->asked;
    BOOST_REQUIRE(t.mail->run_once().ok());
    BOOST_CHECK_EQUAL(t.relay->asked, asked);  // the refused one is not tried again
}

// In a cluster every node folds every partition; the shares make one sender of each message.
BOOST_AUTO_TEST_CASE(with_shares_each_partitions_mail_goes_through_exactly_one_sender) {
    temp_dir dir("mailer-shares");
    std::vector<std::unique_ptr<event_log>> logs;
    logs.push_back(uurwerk::testing::open_test_log(dir.path / "log0"));
    logs.push_back(uurwerk::testing::open_test_log(dir.path / "log1"));
    auto opened =
        node::open_with_logs(std::move(logs), dir.path / "store", std::chrono::seconds(5));
    BOOST_REQUIRE(opened.ok());
    auto& n = **opened;
    // Two communities, one in each partition.
    std::vector<community_id> towns;
    for (std::uint64_t c = 1; towns.size() < 2; ++c)
        if (n.partition_of(community_id{c}).value == towns.size()) towns.push_back(community_id{c});
    const auto founder = key_filled_with(1), member = key_filled_with(2);
    std::map<std::string, std::uint64_t> seq;
    const time_ms now{1'700'000'000'000};
    auto submit = [&](community_id c, const signing_key& key, member_id author, event_payload p,
                      std::optional<personal_text> personal = std::nullopt) {
        const auto e =
            key.seal(event_body{random_event_id(), c, author,
                                sequence{++seq[key.public_bytes().hex() + std::to_string(c.value)]},
                                now, std::nullopt, std::move(p)});
        auto r = n.submit(stored_envelope::encode(e), std::move(personal));
        BOOST_REQUIRE(r.ok() && r->decided.accepted());
    };
    for (auto c : towns) {
        submit(c, founder, member_id{1}, community_founded{"Town", policy{}});
        submit(
            c, founder, member_id{1},
            member_admitted{member_id{2}, member.public_bytes(), role::member, true, std::nullopt});
        const auto doc =
            commit_fresh("name=Ans\nemail=ans" + std::to_string(c.value) + "@example.nl\n");
        submit(c, member, member_id{2}, profile_updated{member_id{2}, doc.commitment},
               doc.personal);
    }
    std::vector<kept_relay*> relays;
    std::vector<std::unique_ptr<mailer>> senders;
    for (std::uint32_t i = 0; i < 2; ++i) {
        auto r = std::make_unique<kept_relay>();
        relays.push_back(r.get());
        mailer_options o;
        o.from = "tijdbank@example.nl";
        o.clock = [now] { return now; };
        o.share = mail_share{i, 2};
        auto m =
            mailer::open(n, dir.path / ("mail" + std::to_string(i)), std::move(o), std::move(r));
        BOOST_REQUIRE(m.ok());
        senders.push_back(std::move(*m));
    }
    for (auto c : towns)
        submit(c, founder, member_id{1},
               hours_claimed{member_id{2}, minutes{30}, std::nullopt, std::nullopt});
    for (auto& s : senders) BOOST_REQUIRE(s->run_once().ok());
    for (std::uint32_t i = 0; i < 2; ++i) {
        BOOST_REQUIRE_EQUAL(relays[i]->sent.size(), 1u);
        BOOST_CHECK_EQUAL(relays[i]->sent[0].to,
                          "ans" + std::to_string(towns[i].value) + "@example.nl");
    }
}

BOOST_AUTO_TEST_CASE(a_stop_cancels_a_send_to_a_hung_relay_and_the_message_goes_later) {
    // Before, a node's stop waited out the relay's send timeout (30 s): the mailer's thread sat
    // in a send. Now stop() cancels the send first; the message stays owed and goes once.
    town_with_mail t;
    const post_body shopping{category::shopping, std::nullopt, intensity::once, "3512", 0};
    const auto offer2 = t.submit(t.k2, member_id{2}, offer_posted{shopping});
    t.request = t.submit(t.k4, member_id{4}, request_posted{shopping});
    t.submit(t.k1, member_id{1}, node_key_announced{t.node_key.public_bytes()});
    t.submit(t.node_key, community_fund,
             match_proposed{t.request, offer2, member_id{2}, 1, 0, 1, 0});
    t.relay->hang = true;
    t.mail->start();
    {
        std::unique_lock lock(t.relay->mutex);
        BOOST_REQUIRE(t.relay->changed.wait_for(lock, std::chrono::seconds(20),
                                                [&] { return t.relay->hung; }));
    }
    t.mail->stop();  // returns because it cancelled the send, not because 20 s passed
    BOOST_CHECK(t.relay->released_by_cancel);
    BOOST_CHECK(t.relay->sent.empty());
    // The next start resumes the relay; the owed messages go, each once.
    t.relay->hang = false;
    t.relay->resume();
    BOOST_REQUIRE(t.mail->run_once().ok());
    auto to = t.sent_to();
    std::sort(to.begin(), to.end());
    BOOST_CHECK((to == std::vector<std::string>{"ans@example.nl", "cees@example.nl"}));
    BOOST_REQUIRE(t.mail->run_once().ok());
    BOOST_CHECK_EQUAL(t.relay->sent.size(), 2u);
}
