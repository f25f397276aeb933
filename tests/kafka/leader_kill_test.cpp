// Faults in cluster mode, through the program: three brokers (replication factor 3,
// min.insync.replicas 2), a topic of three partitions, two `uurwerk serve --kafka` nodes, and a
// stream of 10,000 signed events of three communities (in different partitions, one busier than
// the others) from concurrent HTTP clients through both nodes. In the middle of the stream the
// leader of the busiest partition is killed with SIGKILL, and started again later. Every event
// that was acknowledged (200 or 409, with its partition, offset and verdict) must be readable by
// id through both nodes at that partition and offset with that verdict; no two events share a
// partition and offset; both nodes end with the same digest. An event that got 503 or 504 is
// sent again unchanged (the answer to a second copy is the first one's).
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "api/bench/kafka_admin.h"
#include "api/bench/workload.h"
#include "ledger/log/partition.h"
#include "tests/support/envelopes.h"
#include "tests/support/kafka_cluster.h"
#include "tests/support/sessions.h"
#include "tests/support/uurwerk_program.h"

using namespace uurwerk;
using namespace uurwerk::testing;
using clock_type = std::chrono::steady_clock;

namespace {

constexpr std::size_t events_total = 10'000;
constexpr std::uint32_t partitions = 3;
constexpr std::size_t clients = 32;
// How long one event may keep getting 503/504 before the test gives up on it.
constexpr auto resend_deadline = std::chrono::seconds(90);
// How long the whole stream may take (it takes 20 to 60 s): past it, the clients send nothing
// more and the test fails saying how far it got, well before CTest's timeout of 600 s would
// kill it without a word.
constexpr auto stream_deadline = std::chrono::seconds(300);

// Progress on stderr, which CTest shows when the test fails (BOOST_TEST_MESSAGE is not shown at
// the default log level).
void progress(const std::string& line, clock_type::time_point started) {
    std::fprintf(stderr, "leader_kill %6.1f s: %s\n",
                 std::chrono::duration<double>(clock_type::now() - started).count(), line.c_str());
}

std::string event_id_of(const bytes& stored) {
    auto env = decode_envelope(stored);
    UURWERK_ASSERT(env.ok());
    auto body = decode_body(env->body);
    UURWERK_ASSERT(body.ok());
    return body->id.hex();
}

std::string community_of(const bytes& stored) {
    auto env = decode_envelope(stored);
    UURWERK_ASSERT(env.ok());
    auto body = decode_body(env->body);
    UURWERK_ASSERT(body.ok());
    return std::to_string(body->community.value);
}

// What a node answered for an event, once it was in the log.
struct acknowledged {
    std::string id;
    std::string community;
    std::uint64_t partition = 0;
    std::uint64_t at = 0;
    std::string verdict;
};

// The node's answer to GET `target` as JSON (the test fails on anything but 200).
json_doc get_json(const server_process& s, const std::string& target) {
    auto r = http_call("127.0.0.1", s.port(), "GET", target, "");
    BOOST_REQUIRE_MESSAGE(r.ok(), target << ": " << (r.ok() ? "" : r.err().message));
    BOOST_REQUIRE_MESSAGE(r->status == 200, target << " answered " << r->status << ": " << r->body);
    auto d = json_doc::parse(r->body);
    BOOST_REQUIRE(d.ok());
    return *d;
}

std::uint64_t applied_by(const server_process& s) {
    return parse_decimal(get_json(s, "/v1/digest").string_at("applied").value_or("")).value_or(0);
}

// Sends events through nodes from many clients at once. Each signer's events go in order (as a
// member's device sends them); an event that gets 503/504 or no answer is sent again unchanged.
class stream {
public:
    stream(const std::vector<bytes>& events, std::vector<const server_process*> nodes)
        : events_(events),
          nodes_(std::move(nodes)),
          deadline_(clock_type::now() + stream_deadline) {
        std::map<std::string, std::deque<std::size_t>> by_signer;
        for (std::size_t i = 0; i < events.size(); ++i)
            by_signer[decode_envelope(events[i])->signer.hex()].push_back(i);
        for (auto& [signer, lane] : by_signer) lanes_.push_back(std::move(lane));
    }

    void start() {
        for (std::size_t c = 0; c < clients; ++c)
            pool_.emplace_back([this, c] { client(*nodes_[c % nodes_.size()]); });
    }
    void join() {
        for (auto& t : pool_) t.join();
    }
    std::size_t acknowledged_count() const { return acknowledged_count_.load(); }
    // Every client has stopped (all sent, or the stream's deadline passed).
    bool finished() const { return clients_done_.load() == pool_.size(); }

    std::vector<acknowledged> acks;   // after join()
    std::vector<std::string> errors;  // after join(): answers that are not allowed
    std::atomic<std::size_t> resent{0};

private:
    void client(const server_process& node) {
        std::unique_ptr<http_connection> connection;
        struct done_counter {
            std::atomic<std::size_t>& n;
            ~done_counter() { ++n; }
        } counted{clients_done_};
        for (;;) {
            std::deque<std::size_t> lane;
            {
                std::lock_guard lock(mutex_);
                if (lanes_.empty()) return;
                if (clock_type::now() >= deadline_) {
                    std::size_t left = 0;
                    for (const auto& l : lanes_) left += l.size();
                    if (!deadline_said_)
                        errors.push_back("the stream passed its deadline of " +
                                         std::to_string(stream_deadline.count()) + " s with " +
                                         std::to_string(left) + " events not yet sent");
                    deadline_said_ = true;
                    return;
                }
                lane = std::move(lanes_.front());
                lanes_.pop_front();
            }
            const std::size_t i = lane.front();
            lane.pop_front();
            send(node, connection, i);
            if (!lane.empty()) {
                std::lock_guard lock(mutex_);
                lanes_.push_back(std::move(lane));
            }
        }
    }

    void send(const server_process& node, std::unique_ptr<http_connection>& connection,
              std::size_t i) {
        const std::string json = envelope_json(events_[i]);
        const auto deadline = clock_type::now() + resend_deadline;
        for (int attempt = 0;; ++attempt) {
            if (attempt > 0) {
                ++resent;
                std::this_thread::sleep_for(std::chrono::milliseconds(200));
            }
            if (!connection) {
                auto c = http_connection::open("127.0.0.1", node.port());
                if (c) connection = std::move(*c);
            }
            auto r = connection ? connection->call("POST", "/v1/events", json)
                                : result<http_reply>(make_error(errc::io_error, "no connection"));
            if (!r) connection.reset();
            const bool retry = !r || r->status == 503 || r->status == 504;
            if (retry && clock_type::now() < deadline) continue;
            std::lock_guard lock(mutex_);
            if (!r || (r->status != 200 && r->status != 409)) {
                errors.push_back(
                    "event " + std::to_string(i) + " got " +
                    (r ? std::to_string(r->status) + ": " + r->body : r.err().message));
                return;
            }
            auto d = json_doc::parse(r->body);
            auto at = d ? parse_decimal(d->string_at("offset").value_or("")) : std::nullopt;
            auto partition =
                d ? parse_decimal(d->string_at("partition").value_or("")) : std::nullopt;
            if (!at || !partition) {
                errors.push_back("event " + std::to_string(i) + ": no partition and offset in " +
                                 r->body);
                return;
            }
            acks.push_back({d->string_at("id").value_or(""), community_of(events_[i]), *partition,
                            *at, d->string_at("verdict").value_or("")});
            if (acks.back().id != event_id_of(events_[i]))
                errors.push_back("event " + std::to_string(i) + " was answered for id " +
                                 acks.back().id);
            ++acknowledged_count_;
            return;
        }
    }

    const std::vector<bytes>& events_;
    std::vector<const server_process*> nodes_;
    std::mutex mutex_;
    std::deque<std::deque<std::size_t>> lanes_;
    std::vector<std::thread> pool_;
    std::atomic<std::size_t> acknowledged_count_{0};
    std::atomic<std::size_t> clients_done_{0};
    const clock_type::time_point deadline_;
    bool deadline_said_ = false;  // under mutex_
};

}  // namespace

BOOST_AUTO_TEST_CASE(killing_the_busiest_partitions_leader_mid_stream_loses_no_acknowledged_event) {
    const auto started = clock_type::now();
    temp_dir dir("leader-kill");
    kafka_cluster cluster(dir.path / "kafka", 3);
    // The defaults of serve --kafka: replication factor 3, min.insync.replicas 2.
    const std::vector<std::string> kafka = {"--kafka", cluster.bootstrap(), "--partitions",
                                            std::to_string(partitions)};
    server_process a(dir.path / "a", kafka), b(dir.path / "b", kafka);

    // Communities 7, 8 and 11 are in partitions 2, 1 and 0 of three; 7 is the busiest.
    const std::vector<std::pair<community_id, std::size_t>> shares = {
        {community_id{7}, events_total * 6 / 10},
        {community_id{8}, events_total * 3 / 10},
        {community_id{11}, events_total / 10}};
    std::set<std::uint32_t> used;
    std::map<std::uint32_t, std::size_t> events_in;  // by partition
    std::vector<workload> ws;
    for (const auto& [community, count] : shares) {
        const auto p = partition_of(community, partitions).value;
        used.insert(p);
        events_in[p] += count;
        ws.push_back(make_workload({community, 200, count, 31 + community.value, 0, {}, 512}));
    }
    // The communities' setups side by side (each in its order): one write waits for its
    // acknowledgement by the replicas, and one community after another would take three times
    // as long.
    for (const auto& w : ws) allow_founders_of(dir.path / "a", w.setup);
    std::mutex setup_mutex;
    std::vector<std::string> setup_errors;
    std::vector<std::thread> setups;
    for (const auto& w : ws)
        setups.emplace_back([&, w = &w] {
            for (const auto& e : w->setup) {
                auto r = http_call("127.0.0.1", a.port(), "POST", "/v1/events", envelope_json(e));
                if (r && r->status == 200) continue;
                std::lock_guard lock(setup_mutex);
                setup_errors.push_back(r ? r->body : r.err().message);
                return;
            }
        });
    for (auto& t : setups) t.join();
    for (const auto& e : setup_errors) BOOST_ERROR("setup: " << e);
    BOOST_REQUIRE(setup_errors.empty());
    std::size_t setup_total = 0;
    std::vector<bytes> events;
    for (const auto& w : ws) {
        setup_total += w.setup.size();
        events.insert(events.end(), w.events.begin(), w.events.end());
    }
    BOOST_REQUIRE_GE(used.size(), 2u);
    const auto busiest = std::max_element(events_in.begin(), events_in.end(), [](auto x, auto y) {
                             return x.second < y.second;
                         })->first;
    BOOST_TEST_MESSAGE(
        "setup of " << setup_total << " events applied after "
                    << std::chrono::duration<double>(clock_type::now() - started).count() << " s");

    stream s(events, {&a, &b});
    s.start();
    progress("setup done; the stream of " + std::to_string(events_total) + " events starts",
             started);
    // In the middle of the stream: SIGKILL the leader of the busiest partition.
    while (s.acknowledged_count() < events_total / 3 && !s.finished())
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (s.finished()) {
        s.join();
        for (const auto& e : s.errors) BOOST_ERROR(e);
        BOOST_FAIL("the stream stopped after " << s.acknowledged_count()
                                               << " acknowledged events, before the kill");
    }
    auto view = describe_kafka(cluster.bootstrap(), "uurwerk-events", std::chrono::seconds(10));
    BOOST_REQUIRE_MESSAGE(view.ok(), (view.ok() ? "" : view.err().message));
    BOOST_REQUIRE_EQUAL(view->partitions.size(), partitions);
    const partition_id p{busiest};
    const int leader = view->partitions.at(p.value).leader;
    BOOST_REQUIRE_GE(leader, 0);
    const std::size_t at_kill = s.acknowledged_count();
    cluster.kill(leader);
    const auto killed = clock_type::now();
    progress("killed broker " + std::to_string(leader) + ", leader of partition " +
                 std::to_string(p.value) + ", after " + std::to_string(at_kill) +
                 " acknowledged events",
             started);
    BOOST_TEST_MESSAGE("killed broker " << leader << " (leader of partition " << p.value
                                        << ") after " << at_kill << " acknowledged events");
    // Let the stream go on without it for a while (or to its end), then bring it back.
    while (s.acknowledged_count() < 2 * events_total / 3 && !s.finished() &&
           clock_type::now() - killed < std::chrono::seconds(30))
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const std::size_t at_restart = s.acknowledged_count();
    cluster.start(leader);
    progress("broker " + std::to_string(leader) + " started again; " +
                 std::to_string(at_restart - at_kill) + " events acknowledged while it was away",
             started);
    BOOST_TEST_MESSAGE(
        "broker " << leader << " back after "
                  << std::chrono::duration<double>(clock_type::now() - killed).count() << " s; "
                  << at_restart - at_kill << " events acknowledged while it was away");
    s.join();
    progress("stream done: " + std::to_string(s.acks.size()) + " acknowledged, " +
                 std::to_string(s.resent.load()) + " sends repeated, " +
                 std::to_string(s.errors.size()) + " errors",
             started);
    BOOST_TEST_MESSAGE("stream done: " << s.acks.size() << " acknowledged, " << s.resent.load()
                                       << " sends repeated after 503/504");
    for (const auto& e : s.errors) BOOST_ERROR(e);
    BOOST_REQUIRE_EQUAL(s.acks.size(), events_total);
    BOOST_CHECK_GT(at_restart, at_kill);  // writes went on with one broker down

    // No two acknowledged events at one partition and offset; each in its community's.
    std::map<std::pair<std::uint64_t, std::uint64_t>, std::string> by_offset;
    for (const auto& ack : s.acks) {
        auto [it, fresh] = by_offset.emplace(std::pair{ack.partition, ack.at}, ack.id);
        BOOST_CHECK_MESSAGE(fresh, "events " << it->second << " and " << ack.id << " at offset "
                                             << ack.at << " of partition " << ack.partition);
    }
    std::map<std::uint64_t, std::size_t> acked_in;
    for (const auto& ack : s.acks) ++acked_in[ack.partition];
    for (const auto& [p, n] : events_in) BOOST_CHECK_EQUAL(acked_in[p], n);
    // Both nodes apply everything and agree.
    std::uint64_t applied_a = 0, applied_b = 0;
    progress("waiting for both nodes to apply everything", started);
    for (int i = 0; i < 600; ++i) {
        applied_a = applied_by(a);
        applied_b = applied_by(b);
        if (applied_a == applied_b && applied_a >= setup_total + events_total) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    BOOST_REQUIRE_EQUAL(applied_a, applied_b);
    BOOST_REQUIRE_GE(applied_a, setup_total + events_total);
    BOOST_CHECK_EQUAL(get_json(a, "/v1/digest").string_at("digest").value_or("a"),
                      get_json(b, "/v1/digest").string_at("digest").value_or("b"));
    const std::uint64_t copies = applied_a - setup_total - events_total;
    BOOST_TEST_MESSAGE(applied_a << " records in the log: " << copies
                                 << " second copies of events sent again (each a duplicate)");

    // Every acknowledged event, by id, through both nodes: same partition and offset, same
    // verdict. In offset order, as an auditor would walk each partition.
    std::sort(s.acks.begin(), s.acks.end(), [](const acknowledged& x, const acknowledged& y) {
        return std::pair{x.partition, x.at} < std::pair{y.partition, y.at};
    });
    std::size_t mismatches = 0;
    for (const auto* node : {&a, &b}) {
        // Reading an event by its id is a coordinator's: each community's founder signs in, on a
        // connection of its own.
        std::map<std::string, std::unique_ptr<http_connection>> as_founder;
        for (const auto& ack : s.acks) {
            auto& connection = as_founder[ack.community];
            if (!connection) {
                const community_id c{std::stoull(ack.community)};
                http_call_options o;
                o.authorization = bearer(workload_member_key(31 + c.value, 0), c, member_id{1});
                auto opened = http_connection::open("127.0.0.1", node->port(), o);
                BOOST_REQUIRE(opened.ok());
                connection = std::move(*opened);
            }
            auto r =
                connection->call("GET", "/v1/communities/" + ack.community + "/events/" + ack.id);
            BOOST_REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.err().message));
            auto d = json_doc::parse(r->body);
            const bool same =
                r->status == 200 && d.ok() &&
                parse_decimal(d->string_at("partition").value_or("")) == ack.partition &&
                parse_decimal(d->string_at("offset").value_or("")) == ack.at &&
                d->string_at("verdict").value_or("") == ack.verdict;
            if (!same && ++mismatches <= 10)
                BOOST_ERROR("event " << ack.id << " acknowledged at " << ack.partition << "/"
                                     << ack.at << " (" << ack.verdict << "), node on port "
                                     << node->port() << " answers " << r->status << ": "
                                     << r->body);
        }
    }
    BOOST_CHECK_EQUAL(mismatches, 0u);
    progress("done", started);
}
