#pragma once
// Test support: run the real `uurwerk` program, as a server in the background or as a
// command whose output and exit code are captured. Loopback only; every server is stopped by
// its destructor (SIGTERM, then SIGKILL), or killed when the test process ends without one.

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <algorithm>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "api/http/http_client.h"
#include "api/json/json_read.h"
#include "api/node/key_file.h"
#include "ledger/core/event.h"
#include "tests/support/run_command.h"
#include "tests/support/sessions.h"
#include "tests/support/temp_dir.h"

namespace uurwerk::testing {

inline std::string program() {
    return UURWERK_BINARY;
}

// Runs `uurwerk ARGS...` and waits for it.
inline command_result run_uurwerk(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {program()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(std::move(argv));
}

// The operator's consent (api/node/founders.h) on the node whose data folder is `data`: `uurwerk
// allow-founder` for a public key file, or for every founder of a workload's setup. A running
// node reads the list again for each founding, so this may come before or after it starts.
inline void allow_founder_file(const std::filesystem::path& data, const std::string& pub_file) {
    auto r = run_uurwerk({"allow-founder", "--data", data.string(), "--public-key-file", pub_file});
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, "allow-founder failed: " + r.out);
}
inline void allow_founders_of(const std::filesystem::path& data, const std::vector<bytes>& setup) {
    for (const auto& stored : setup) {
        auto env = decode_envelope(stored);
        BOOST_REQUIRE(env.ok());
        auto body = decode_body(env->body);
        BOOST_REQUIRE(body.ok());
        if (body->kind() != event_kind::community_founded) continue;
        auto r = run_uurwerk(
            {"allow-founder", "--data", data.string(), "--public-key", env->signer.hex()});
        BOOST_REQUIRE_MESSAGE(r.exit_code == 0, "allow-founder failed: " + r.out);
    }
}

// `uurwerk serve` on 127.0.0.1 and a free port, in the background.
class server_process {
public:
    // `extra` options go after --data and --listen (e.g. --kafka HOST:PORT).
    explicit server_process(const std::filesystem::path& data_dir,
                            std::vector<std::string> extra = {})
        : data_dir_(data_dir), extra_(std::move(extra)) {
        start();
    }
    ~server_process() { stop(SIGTERM); }

    void start() {
        int pipefd[2];
        BOOST_REQUIRE(::pipe(pipefd) == 0);
        pid_ = ::fork();
        BOOST_REQUIRE(pid_ >= 0);
        if (pid_ == 0) {
            // A test that aborts runs no destructor: the server then dies with it (SIGKILL when
            // the thread that started it ends), never left running against a stopped cluster.
            const pid_t parent = ::getppid();
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (::getppid() != parent) ::_exit(127);
            ::dup2(pipefd[1], 1);
            ::close(pipefd[0]);
            ::close(pipefd[1]);
            std::string log =
                (data_dir_.parent_path() / (data_dir_.filename().string() + ".server.log"))
                    .string();
            int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
            if (fd >= 0) ::dup2(fd, 2);
            std::string prog = program(), data = data_dir_.string();
            std::vector<const char*> argv = {prog.c_str(), "serve",    "--data",
                                             data.c_str(), "--listen", "127.0.0.1:0"};
            for (const auto& e : extra_) argv.push_back(e.c_str());
            // The tests here stream events from one address as fast as they can (a drill, not
            // a member): the rate quotas are off unless a test names one of them.
            static const char* const quota_flags[] = {
                "--quota-writes-per-key", "--quota-writes-per-address", "--quota-reads-per-session",
                "--quota-reads-per-address"};
            const bool quotas_named = std::any_of(
                extra_.begin(), extra_.end(), [](auto& e) { return e.rfind("--quota-", 0) == 0; });
            if (!quotas_named)
                for (const char* flag : quota_flags) {
                    argv.push_back(flag);
                    argv.push_back("off");
                }
            argv.push_back(nullptr);
            ::execv(prog.c_str(), const_cast<char* const*>(argv.data()));
            ::_exit(127);
        }
        ::close(pipefd[1]);
        // The server prints "... listening on http://127.0.0.1:PORT" (https:// with TLS) once it
        // accepts requests.
        std::string line;
        char c;
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        while (std::chrono::steady_clock::now() < deadline && ::read(pipefd[0], &c, 1) == 1) {
            if (c != '\n') {
                line += c;
                continue;
            }
            auto at = line.find("://127.0.0.1:");
            if (at != std::string::npos) {
                port_ = static_cast<std::uint16_t>(std::stoi(line.substr(at + 13)));
                break;
            }
            line.clear();
        }
        ::close(pipefd[0]);
        BOOST_REQUIRE_MESSAGE(port_ != 0, "the server did not say where it listens");
    }

    // SIGTERM (clean) or SIGKILL (a crash); waits for the process.
    void stop(int sig) {
        if (pid_ <= 0) return;
        ::kill(pid_, sig);
        int status = 0;
        for (int i = 0; i < 300; ++i) {
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                return;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
    }

    // Waits up to `wait` for the server to end on its own (a fault it injected); true if it did.
    bool exited_within(std::chrono::milliseconds wait) {
        if (pid_ <= 0) return true;
        const auto deadline = std::chrono::steady_clock::now() + wait;
        int status = 0;
        while (std::chrono::steady_clock::now() < deadline) {
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                return true;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return false;
    }

    std::uint16_t port() const { return port_; }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

private:
    std::filesystem::path data_dir_;
    std::vector<std::string> extra_;
    pid_t pid_ = -1;
    std::uint16_t port_ = 0;
};

// A scratch folder with a server in it, and the members' commands run against that server.
struct served_town {
    temp_dir dir;
    server_process server{dir.path / "data"};

    explicit served_town(const std::string& name) : dir(name) {}
    // With more `serve` options (e.g. --match-interval 0).
    served_town(const std::string& name, std::vector<std::string> serve_options)
        : dir(name), server(dir.path / "data", std::move(serve_options)) {}

    std::string path(const std::string& file) const { return (dir.path / file).string(); }
    std::string key(const std::string& who) const { return path(who + ".key"); }

    // Runs a command against the server (the server option comes last; keygen works offline).
    command_result uw(std::vector<std::string> args) {
        if (args[0] != "keygen") {
            args.push_back("--server");
            args.push_back(server.url());
        }
        return run_uurwerk(args);
    }

    // Runs a command that must succeed and returns its output. A founding is preceded by the
    // operator's consent for the founder's key (its FILE.pub, from keygen).
    std::string ok(std::vector<std::string> args) {
        if (args[0] == "found")
            for (std::size_t i = 1; i + 1 < args.size(); ++i)
                if (args[i] == "--key") allow_founder_file(dir.path / "data", args[i + 1] + ".pub");
        auto r = uw(args);
        BOOST_REQUIRE_MESSAGE(r.exit_code == 0, args[0] + " failed: " + r.out);
        return r.out;
    }

    // The key file of whoever reads through get(): by default anna.key, the founder (and so a
    // coordinator, who may read every route of the community) of every story; no session while
    // that file does not exist. tests/api/http/access_test.cpp walks the other readers.
    std::string reader = key("anna");

    // "Bearer TOKEN": a session of the key file at `key_path` (its community and member), for an
    // hour, as `uurwerk balance --key` signs in.
    static std::string session_of(const std::string& key_path) {
        auto kf = read_key_file(key_path);
        BOOST_REQUIRE_MESSAGE(kf.ok(), key_path + ": " + (kf.ok() ? "" : kf.err().message));
        auto key = signing_key::from_seed(kf->seed);
        BOOST_REQUIRE(key.ok());
        return bearer(*key, kf->community, kf->member);
    }

    json_doc get(const std::string& target, unsigned expect_status = 200) {
        http_call_options options;
        if (!reader.empty() && std::filesystem::exists(reader))
            options.authorization = session_of(reader);
        auto r = http_call("127.0.0.1", server.port(), "GET", target, "", options);
        BOOST_REQUIRE(r.ok());
        BOOST_REQUIRE_MESSAGE(r->status == expect_status,
                              target + " answered " + std::to_string(r->status) + ": " + r->body);
        auto d = json_doc::parse(r->body);
        BOOST_REQUIRE(d.ok());
        return *d;
    }
};

// The 32 characters after `marker` in `text` (an id the program printed).
inline std::string after(const std::string& text, const std::string& marker) {
    auto at = text.find(marker);
    BOOST_REQUIRE_MESSAGE(at != std::string::npos, "no '" + marker + "' in: " + text);
    return text.substr(at + marker.size(), 32);
}

}  // namespace uurwerk::testing
