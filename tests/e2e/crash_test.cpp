// kill -9 during a stream of concurrent appends: every event the server acknowledged is there
// after a restart, with the same offset and verdict, and the state equals a rebuild from the log.
// And a log damaged in its middle (not a crash) is refused by every command, which keeps it.
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <mutex>

#include "api/bench/workload.h"
#include "api/http/http_client.h"
#include "api/json/json.h"
#include "api/json/json_read.h"
#include "ledger/core/personal.h"
#include "projections/personal_store.h"
#include "tests/support/envelopes.h"
#include "tests/support/folder_bytes.h"
#include "tests/support/sessions.h"
#include "tests/support/uurwerk_program.h"

using namespace uurwerk;
using namespace uurwerk::testing;

namespace {

struct acknowledged {
    std::string id, offset, verdict;
    std::size_t index = 0;  // in the workload's events
};

std::string digest_line(const std::string& out) {
    auto at = out.find("digest: ");
    BOOST_REQUIRE_MESSAGE(at != std::string::npos, out);
    return out.substr(at + 8, 64);
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_acknowledged_event_survives_a_kill_9_and_the_state_equals_a_rebuild) {
    temp_dir dir("crash");
    const auto data = dir.path / "data";
    // With texts beside the events, as clients send them: each acknowledged event's text must
    // be in the personal-data store after the restart too (the node keeps a text in memory and
    // the log's writer writes the group's texts, synced, before each group's fdatasync).
    workload_options spec{community_id{9}, 50, 6000, 21, 0, {}};
    spec.texts = free_texts::beside;
    auto w = make_workload(spec);
    BOOST_REQUIRE_GT(w.texts(), 1000u);

    std::vector<acknowledged> acked;
    std::mutex acked_mutex;
    allow_founders_of(data, w.setup);
    {
        server_process server(data);
        for (const auto& b : w.setup) {
            auto r = http_call("127.0.0.1", server.port(), "POST", "/v1/events", envelope_json(b));
            BOOST_REQUIRE(r.ok() && r->status == 200);
        }
        // Eight clients stream events; the server is killed in the middle of it.
        std::atomic<std::size_t> next{0};
        std::atomic<bool> killed{false};
        std::vector<std::thread> clients;
        for (int c = 0; c < 8; ++c)
            clients.emplace_back([&] {
                for (std::size_t i; !killed && (i = next.fetch_add(1)) < w.events.size();) {
                    auto env = decode_envelope(w.events[i]);
                    if (!env) continue;
                    auto r = http_call("127.0.0.1", server.port(), "POST", "/v1/events",
                                       submission_to_json(*env, w.personal_of(i)));
                    if (!r || (r->status != 200 && r->status != 409)) continue;  // not acknowledged
                    auto d = json_doc::parse(r->body);
                    if (!d) continue;
                    std::lock_guard lock(acked_mutex);
                    acked.push_back({d->string_at("id").value_or(""),
                                     d->string_at("offset").value_or(""),
                                     d->string_at("verdict").value_or(""), i});
                }
            });
        while (next.load() < 1500) std::this_thread::sleep_for(std::chrono::milliseconds(5));
        server.stop(SIGKILL);
        killed = true;
        for (auto& t : clients) t.join();
    }
    BOOST_TEST_MESSAGE("acknowledged before the kill: " << acked.size());
    BOOST_REQUIRE_GE(acked.size(), 1000u);

    {
        server_process server(data);  // recovery: cut any torn tail, fold what was not applied
        // Reading an event by its id is a coordinator's: the founder's session.
        http_call_options as_founder;
        as_founder.authorization =
            bearer(workload_member_key(21, 0), community_id{9}, member_id{1});
        for (const auto& a : acked) {
            auto r = http_call("127.0.0.1", server.port(), "GET",
                               "/v1/communities/9/events/" + a.id, "", as_founder);
            BOOST_REQUIRE(r.ok());
            BOOST_REQUIRE_MESSAGE(r->status == 200, "acknowledged event " + a.id + " is missing");
            auto d = json_doc::parse(r->body).value();
            BOOST_CHECK_EQUAL(d.string_at("offset").value_or(""), a.offset);
            BOOST_CHECK_EQUAL(d.string_at("verdict").value_or(""), a.verdict);
        }
        // The rest of the stream goes in after the restart.
        for (std::size_t i = 0; i < w.events.size(); i += 97)
            BOOST_REQUIRE(
                http_call("127.0.0.1", server.port(), "POST", "/v1/events",
                          submission_to_json(*decode_envelope(w.events[i]), w.personal_of(i)))
                    .ok());
        server.stop(SIGTERM);
    }
    // Every acknowledged, accepted event's text is kept (a rejected one's is deleted).
    {
        auto store = personal_store::open(data / "personal");
        BOOST_REQUIRE_MESSAGE(store.ok(), (store.ok() ? "" : store.err().message));
        std::size_t checked = 0;
        for (const auto& a : acked) {
            const auto& text = w.personal_of(a.index);
            if (!text || a.verdict != "accepted") continue;
            const auto body = decode_body(decode_envelope(w.events[a.index])->body).value();
            auto kept = (*store)->get(community_id{9}, body.id, *text_commitment_of(body));
            BOOST_REQUIRE_MESSAGE(kept.ok(), (kept.ok() ? "" : kept.err().message));
            BOOST_REQUIRE_MESSAGE(kept->has_value(), "the text of acknowledged event " + a.id +
                                                         " is missing after the kill");
            BOOST_CHECK((*kept)->text == text->text);
            ++checked;
        }
        BOOST_TEST_MESSAGE(checked << " texts of acknowledged events checked");
        BOOST_CHECK_GT(checked, 500u);
    }

    auto live = run_uurwerk({"digest", "--data", data.string()});
    BOOST_REQUIRE_MESSAGE(live.exit_code == 0, live.out);
    auto rebuilt = run_uurwerk({"rebuild", "--data", data.string()});
    BOOST_REQUIRE_MESSAGE(rebuilt.exit_code == 0, rebuilt.out);
    BOOST_CHECK_EQUAL(digest_line(live.out), digest_line(rebuilt.out));
}

namespace {

// The file positions of the records of a LocalLog segment (ledger/FORMAT.md has the format:
// a 28-byte header whose bytes 4..8 are the payload length, little-endian, then the payload).
std::vector<std::uint64_t> record_positions(const std::string& segment) {
    std::ifstream f(segment, std::ios::binary);
    const std::string b(std::istreambuf_iterator<char>(f), {});
    std::vector<std::uint64_t> out;
    for (std::uint64_t pos = 0; pos + 28 <= b.size();) {
        out.push_back(pos);
        std::uint32_t length = 0;
        for (int i = 3; i >= 0; --i)
            length = (length << 8) | static_cast<std::uint8_t>(b[pos + 4 + i]);
        pos += 28 + length;
    }
    return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(one_flipped_bit_in_the_middle_of_the_log_stops_every_command_and_keeps_it) {
    temp_dir dir("corrupt");
    const auto data = dir.path / "data";
    auto w = make_workload({community_id{9}, 20, 300, 21, 0, {}});
    allow_founders_of(data, w.setup);
    {
        server_process server(data);
        for (const auto* list : {&w.setup, &w.events})
            for (const auto& b : *list) {
                auto r =
                    http_call("127.0.0.1", server.port(), "POST", "/v1/events", envelope_json(b));
                BOOST_REQUIRE(r.ok() && r->status == 200);
            }
        server.stop(SIGTERM);
    }
    const std::string segment = (data / "log" / "log-00000000000000000000.seg").string();
    const auto positions = record_positions(segment);
    BOOST_REQUIRE_EQUAL(positions.size(), w.setup.size() + w.events.size());
    // One bit of the payload of the middle record.
    const std::uint64_t middle = positions.size() / 2;
    const std::uint64_t at = positions[middle] + 28 + 10;
    {
        std::fstream f(segment, std::ios::in | std::ios::out | std::ios::binary);
        f.seekg(static_cast<std::streamoff>(at));
        char c = 0;
        f.read(&c, 1);
        f.seekp(static_cast<std::streamoff>(at));
        c = static_cast<char>(c ^ 0x04);
        f.write(&c, 1);
        BOOST_REQUIRE(f);
    }
    const auto before = folder_bytes(data);
    const std::string says = "record " + std::to_string(middle) + " at byte " +
                             std::to_string(positions[middle]) + " of log-00000000000000000000.seg";
    const std::vector<std::vector<std::string>> commands = {
        {"digest", "--data", data.string()},
        {"rebuild", "--data", data.string()},
        {"serve", "--data", data.string(), "--listen", "127.0.0.1:0"}};
    for (const auto& command : commands) {
        BOOST_TEST_CONTEXT("uurwerk " << command[0]) {
            auto r = run_uurwerk(command);
            BOOST_TEST_MESSAGE("uurwerk " << command[0] << " (exit " << r.exit_code
                                          << "): " << r.out);
            BOOST_REQUIRE_MESSAGE(r.exit_code != 0, "it went on over a damaged log: " + r.out);
            BOOST_TEST(r.out.find(says) != std::string::npos, r.out);
            BOOST_TEST(r.out.find("the CRC does not match") != std::string::npos, r.out);
            BOOST_TEST(r.out.find("backup") != std::string::npos, r.out);
            BOOST_TEST(r.out.find("applied:") == std::string::npos, r.out);
            BOOST_TEST((folder_bytes(data) == before), "the data folder was changed");
        }
    }
}
