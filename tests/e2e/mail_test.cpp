// E-mail notifications (issue 25, point 3) against the real program: `uurwerk serve --smtp`
// sends through a real SMTP server on loopback (Python's aiosmtpd, started by the test, which
// keeps what it receives in a Maildir); the test parses every message (subject, language,
// link, contact details only where the access rules allow), kills the node between deciding a
// message and sending it, takes the relay away and brings it back, and gives bad URLs.
#include <boost/test/unit_test.hpp>

#include <netinet/in.h>
#include <sys/socket.h>

#include <map>
#include <set>

#include "api/http/http_client.h"
#include "api/json/json_read.h"
#include "tests/support/test_pki.h"
#include "tests/support/uurwerk_program.h"

using namespace uurwerk;
using namespace uurwerk::testing;

namespace {

// A port nobody listens on now (the kernel's choice; closed again at once).
std::uint16_t free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    BOOST_REQUIRE(fd >= 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    BOOST_REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    socklen_t len = sizeof a;
    BOOST_REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    ::close(fd);
    return ntohs(a.sin_port);
}

bool accepts(std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    return ok;
}

// A real SMTP server on loopback: aiosmtpd (ops/install-deps.sh) with its Maildir handler.
class smtp_sink {
public:
    // `tls` are aiosmtpd's TLS options (--smtpscert/--smtpskey, --tlscert/--tlskey), if any.
    smtp_sink(std::uint16_t port, std::filesystem::path maildir, std::vector<std::string> tls = {})
        : port_(port), maildir_(std::move(maildir)), tls_(std::move(tls)) {}
    ~smtp_sink() { stop(); }

    void start() {
        pid_ = ::fork();
        BOOST_REQUIRE(pid_ >= 0);
        if (pid_ == 0) {
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
            const std::string listen = "127.0.0.1:" + std::to_string(port_);
            const std::string dir = maildir_.string();
            const int null = ::open("/dev/null", O_WRONLY);
            ::dup2(null, 1);
            std::vector<const char*> argv = {"python3", "-m", "aiosmtpd",
                                             "-n",      "-l", listen.c_str()};
            for (const auto& t : tls_) argv.push_back(t.c_str());
            for (const char* a : {"-c", "aiosmtpd.handlers.Mailbox", dir.c_str()})
                argv.push_back(a);
            argv.push_back(nullptr);
            ::execv("/usr/bin/python3", const_cast<char* const*>(argv.data()));
            ::_exit(127);
        }
        for (int i = 0; i < 200 && !accepts(port_); ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        BOOST_REQUIRE_MESSAGE(accepts(port_), "aiosmtpd did not start (python3-aiosmtpd?)");
    }
    void stop() {
        if (pid_ <= 0) return;
        ::kill(pid_, SIGTERM);
        int status = 0;
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
    }
    std::string url() const { return "smtp://127.0.0.1:" + std::to_string(port_); }

private:
    std::uint16_t port_;
    std::filesystem::path maildir_;
    std::vector<std::string> tls_;
    pid_t pid_ = -1;
};

struct mail {
    std::map<std::string, std::string> headers;  // names in lower case
    std::string body;
    std::string header(const std::string& name) const {
        auto it = headers.find(name);
        return it == headers.end() ? std::string() : it->second;
    }
    bool says(const std::string& text) const { return body.find(text) != std::string::npos; }
};

mail parse_mail(const std::string& raw) {
    mail m;
    std::size_t at = 0;
    std::string last;
    while (at < raw.size()) {
        auto end = raw.find('\n', at);
        if (end == std::string::npos) end = raw.size();
        std::string line = raw.substr(at, end - at);
        at = end + 1;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty()) break;
        if ((line[0] == ' ' || line[0] == '\t') && !last.empty()) {
            m.headers[last] += line;
            continue;
        }
        const auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        std::string name = line.substr(0, colon);
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        std::string value = line.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') value.erase(0, 1);
        m.headers[name] = value;
        last = name;
    }
    m.body = at < raw.size() ? raw.substr(at) : std::string();
    return m;
}

// Every message in the Maildir, by recipient (the sink's X-RcptTo).
std::vector<mail> mails_in(const std::filesystem::path& maildir) {
    std::vector<mail> out;
    for (const char* sub : {"new", "cur"}) {
        std::error_code ec;
        for (const auto& f : std::filesystem::directory_iterator(maildir / sub, ec)) {
            std::ifstream in(f.path(), std::ios::binary);
            std::stringstream ss;
            ss << in.rdbuf();
            out.push_back(parse_mail(ss.str()));
        }
    }
    return out;
}

std::vector<mail> to(const std::vector<mail>& all, const std::string& address) {
    std::vector<mail> out;
    for (const auto& m : all)
        if (m.header("to") == "<" + address + ">") out.push_back(m);
    return out;
}

// Waits until the Maildir holds `count` messages (or the time runs out); returns them.
std::vector<mail> wait_for_mails(const std::filesystem::path& maildir, std::size_t count,
                                 std::chrono::seconds wait = std::chrono::seconds(30)) {
    const auto deadline = std::chrono::steady_clock::now() + wait;
    auto all = mails_in(maildir);
    while (all.size() < count && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        all = mails_in(maildir);
    }
    return all;
}

constexpr const char* from_address = "tijdbank@lombok.example";

std::vector<std::string> mail_options(const std::string& smtp_url,
                                      std::vector<std::string> more = {}) {
    std::vector<std::string> o = {
        "--smtp",           smtp_url, "--mail-from",           from_address,
        "--match-interval", "0",      "--checkpoint-interval", "0"};
    o.insert(o.end(), more.begin(), more.end());
    return o;
}

// The town of these stories: Anna coordinates; Bep (English) asks, Cor helps, Dirk has no
// address, Emma is the proxy of Fien, who has no device.
struct mail_town : served_town {
    std::filesystem::path maildir;
    mail_town(const std::string& name, const std::string& smtp_url,
              const std::filesystem::path& box, std::vector<std::string> more = {})
        : served_town(name, mail_options(smtp_url, std::move(more))), maildir(box) {}

    void found() {
        for (auto [who, id] :
             {std::pair{"anna", "1"}, {"bep", "2"}, {"cor", "3"}, {"dirk", "4"}, {"emma", "5"}})
            ok({"keygen", "--out", key(who), "--community", "7", "--member", id});
        ok({"found", "--key", key("anna"), "--name", "Buurtkring Lombok"});
        for (auto [who, id] : {std::pair{"bep", "2"}, {"cor", "3"}, {"dirk", "4"}, {"emma", "5"}})
            ok({"admit", "--key", key("anna"), "--member", id, "--member-public-key",
                key(who) + ".pub", "--verified"});
        ok({"admit", "--key", key("anna"), "--member", "6", "--no-key", "--verified"});
        ok({"delegate", "--key", key("anna"), "--to", "5", "--kinds", "hoursConfirmed",
            "--proxy-for", "6"});
        ok({"announce-node", "--key", key("anna")});
        ok({"profile", "--key", key("bep"), "--name", "Bep Jansen", "--email", "bep@example.nl",
            "--languages", "en,nl"});
        ok({"profile", "--key", key("cor"), "--name", "Cor Smit", "--email", "cor@example.nl",
            "--phone", "06 1234 5678"});
        ok({"profile", "--key", key("dirk"), "--name", "Dirk"});
        ok({"profile", "--key", key("emma"), "--name", "Emma", "--email", "emma@example.nl"});
    }

    // Bep asks, Cor offers, the node's matcher proposes: the match's id.
    std::string propose() {
        ok({"request", "--key", key("bep"), "--category", "shopping", "--text",
            "Boodschappen op dinsdag"});
        ok({"offer", "--key", key("cor"), "--category", "shopping", "--text", "Ik fiets graag"});
        auto round = ok({"match", "--community", "7", "--key", key("anna")});
        return after(round, "match ");
    }

    struct answer {
        unsigned status = 0;
        std::string body;
    };
    answer call(const std::string& method, const std::string& target, const std::string& body,
                const std::string& key_path) {
        http_call_options o;
        if (!key_path.empty()) o.authorization = session_of(key_path);
        auto r = http_call("127.0.0.1", server.port(), method, target, body, o);
        BOOST_REQUIRE(r.ok());
        return {r->status, r->body};
    }
};

// A relay on loopback, started, and a founded town of the stories above that mails through it.
struct town_with_relay {
    temp_dir box;
    smtp_sink relay;
    mail_town t;
    explicit town_with_relay(const std::string& name)
        : box(name + "-box"),
          relay(free_port(), box.path / "maildir"),
          t(name, relay.url(), box.path / "maildir") {
        relay.start();
        t.found();
    }
};

}  // namespace

BOOST_AUTO_TEST_CASE(
    members_get_their_notifications_in_their_language_with_contact_only_when_matched) {
    town_with_relay town("mail-story");
    auto& t = town.t;
    const std::string match = t.propose();

    // The proposal: to both, each in their language, a link into the app, no contact details.
    auto all = wait_for_mails(t.maildir, 2);
    BOOST_REQUIRE_EQUAL(all.size(), 2u);
    auto bep = to(all, "bep@example.nl");
    auto cor = to(all, "cor@example.nl");
    BOOST_REQUIRE_EQUAL(bep.size(), 1u);
    BOOST_REQUIRE_EQUAL(cor.size(), 1u);
    BOOST_CHECK_EQUAL(bep[0].header("subject"), "A proposal to answer");
    BOOST_CHECK_EQUAL(bep[0].header("content-language"), "en");
    BOOST_CHECK(bep[0].says("Hello Bep Jansen,"));
    BOOST_CHECK(bep[0].says("A match was proposed with Cor Smit."));
    BOOST_CHECK_EQUAL(cor[0].header("subject"), "Een voorstel om te beantwoorden");
    BOOST_CHECK_EQUAL(cor[0].header("content-language"), "nl");
    BOOST_CHECK(cor[0].says("Er is een voorstel voor een match met Bep Jansen."));
    for (const auto& m : all) {
        // The link opens the app at the member's home screen; it acts on nothing.
        BOOST_CHECK_MESSAGE(m.says(t.server.url() + "/#home"), m.body);
        BOOST_CHECK_EQUAL(m.header("from"), std::string("uurwerk <") + from_address + ">");
        BOOST_CHECK(!m.says("06 1234 5678"));
        BOOST_CHECK(!m.says("bep@example.nl"));
        BOOST_CHECK_EQUAL(m.header("list-unsubscribe-post"), "List-Unsubscribe=One-Click");
        BOOST_CHECK(m.header("list-unsubscribe").find(t.server.url() + "/v1/mail/unsubscribe?") ==
                    1);
        BOOST_CHECK(!m.header("message-id").empty());
    }

    // Bep accepts: both hear it, and now each sees the other's contact details.
    t.ok({"accept", "--key", t.key("bep"), "--match", match});
    all = wait_for_mails(t.maildir, 4);
    BOOST_REQUIRE_EQUAL(all.size(), 4u);
    for (const auto& m : to(all, "bep@example.nl"))
        if (m.header("subject") == "A match was accepted") {
            BOOST_CHECK(m.says("Contact details of Cor Smit:"));
            BOOST_CHECK(m.says("phone: 06 1234 5678"));
            BOOST_CHECK(m.says("e-mail: cor@example.nl"));
        }
    std::size_t accepted = 0;
    for (const auto& m : to(all, "cor@example.nl"))
        if (m.header("subject") == "Een match is geaccepteerd") {
            ++accepted;
            BOOST_CHECK(m.says("e-mail: bep@example.nl"));
        }
    BOOST_CHECK_EQUAL(accepted, 1u);

    // A claim on Fien (no device, no address): her proxy Emma gets the copy. A claim on Dirk
    // (no address): nothing. Then one on Bep: to Bep.
    t.ok({"claim", "--key", t.key("cor"), "--receiver", "6", "--minutes", "60"});
    t.ok({"claim", "--key", t.key("cor"), "--receiver", "4", "--minutes", "30"});
    t.ok({"claim", "--key", t.key("cor"), "--receiver", "2", "--minutes", "45"});
    all = wait_for_mails(t.maildir, 6);
    BOOST_REQUIRE_EQUAL(all.size(), 6u);
    auto emma = to(all, "emma@example.nl");
    BOOST_REQUIRE_EQUAL(emma.size(), 1u);
    BOOST_CHECK_EQUAL(emma[0].header("subject"), "Uren om te bevestigen");
    BOOST_CHECK(emma[0].says("Je krijgt dit bericht als gemachtigde van een ander lid."));
    BOOST_CHECK(emma[0].says("Uren geschreven door Cor Smit."));
    BOOST_CHECK(!emma[0].says("06 1234 5678"));  // a claim shows no contact details
    BOOST_CHECK_EQUAL(to(all, "bep@example.nl").size(), 3u);
    // Nothing more comes (Dirk has no address).
    std::this_thread::sleep_for(std::chrono::seconds(1));
    BOOST_CHECK_EQUAL(mails_in(t.maildir).size(), 6u);
    std::set<std::string> ids;
    for (const auto& m : mails_in(t.maildir)) ids.insert(m.header("message-id"));
    BOOST_CHECK_EQUAL(ids.size(), 6u);
}

BOOST_AUTO_TEST_CASE(a_member_chooses_how_often_and_nobody_else_can_and_one_click_stops_it) {
    town_with_relay town("mail-choice");
    auto& t = town.t;
    const std::string target = "/v1/communities/7/members/2/mail";
    // Another member may neither read nor change Bep's choice; no session: 401.
    BOOST_CHECK_EQUAL(t.call("POST", target, R"({"frequency":"at_once"})", t.key("cor")).status,
                      403u);
    BOOST_CHECK_EQUAL(t.call("GET", target, "", t.key("cor")).status, 403u);
    BOOST_CHECK_EQUAL(t.call("POST", target, R"({"frequency":"never"})", "").status, 401u);
    auto own = t.call("GET", target, "", t.key("bep"));
    BOOST_CHECK_EQUAL(own.status, 200u);
    BOOST_CHECK(own.body.find("\"at_once\"") != std::string::npos);
    BOOST_CHECK_EQUAL(t.call("POST", target, R"({"frequency":"sometimes"})", t.key("bep")).status,
                      400u);
    BOOST_CHECK_EQUAL(t.call("POST", target, R"({"frequency":"never","x":1})", t.key("bep")).status,
                      400u);
    auto set = t.call("POST", target, R"({"frequency":"never"})", t.key("bep"));
    BOOST_CHECK_EQUAL(set.status, 200u);
    BOOST_CHECK(t.call("GET", target, "", t.key("bep")).body.find("\"never\"") !=
                std::string::npos);

    // Bep chose never: the proposal goes to Cor only.
    t.propose();
    auto all = wait_for_mails(t.maildir, 1);
    std::this_thread::sleep_for(std::chrono::seconds(1));
    all = mails_in(t.maildir);
    BOOST_REQUIRE_EQUAL(all.size(), 1u);
    BOOST_CHECK_EQUAL(all[0].header("to"), "<cor@example.nl>");

    // Cor's one-click stop: the link from the message, POSTed as a mail program does.
    std::string link = all[0].header("list-unsubscribe");
    link = link.substr(1, link.size() - 2);
    const std::string path = link.substr(t.server.url().size());
    auto page = t.call("GET", path, "", "");
    BOOST_CHECK_EQUAL(page.status, 200u);  // a page with a button; it changes nothing
    BOOST_CHECK(t.call("GET", "/v1/communities/7/members/3/mail", "", t.key("cor"))
                    .body.find("\"at_once\"") != std::string::npos);
    std::string forged = path;
    forged.back() = forged.back() == '0' ? '1' : '0';
    BOOST_CHECK_EQUAL(t.call("POST", forged, "List-Unsubscribe=One-Click", "").status, 403u);
    const std::string other_member =
        "/v1/mail/unsubscribe?community=7&member=2&" + path.substr(path.find("token="));
    BOOST_CHECK_EQUAL(t.call("POST", other_member, "", "").status, 403u);
    BOOST_CHECK_EQUAL(t.call("POST", path, "List-Unsubscribe=One-Click", "").status, 200u);
    BOOST_CHECK(t.call("GET", "/v1/communities/7/members/3/mail", "", t.key("cor"))
                    .body.find("\"never\"") != std::string::npos);
    // Now neither hears of a claim.
    t.ok({"claim", "--key", t.key("bep"), "--receiver", "3", "--minutes", "15"});
    t.ok({"claim", "--key", t.key("cor"), "--receiver", "2", "--minutes", "15"});
    std::this_thread::sleep_for(std::chrono::seconds(1));
    BOOST_CHECK_EQUAL(mails_in(t.maildir).size(), 1u);
}

BOOST_AUTO_TEST_CASE(killed_between_deciding_and_sending_every_message_arrives_once) {
    temp_dir box("mail-crash-box");
    smtp_sink relay(free_port(), box.path / "maildir");
    relay.start();
    // The node dies (SIGKILL) after deciding the 2nd message, before sending it.
    ::setenv("UURWERK_MAIL_CRASH_BEFORE_SEND", "2", 1);
    mail_town t("mail-crash", relay.url(), box.path / "maildir");
    ::unsetenv("UURWERK_MAIL_CRASH_BEFORE_SEND");
    t.found();
    t.ok({"request", "--key", t.key("bep"), "--category", "shopping", "--text", "Boodschappen"});
    t.ok({"offer", "--key", t.key("cor"), "--category", "shopping", "--text", "Ik fiets graag"});
    t.uw({"match", "--community", "7", "--key", t.key("anna")});  // may die answering
    BOOST_REQUIRE_MESSAGE(t.server.exited_within(std::chrono::seconds(30)),
                          "the drill's fault did not fire");
    BOOST_CHECK_EQUAL(mails_in(t.maildir).size(), 1u);  // the first went; the second was decided
    t.server.start();
    auto all = wait_for_mails(t.maildir, 2);
    std::this_thread::sleep_for(std::chrono::seconds(1));
    all = mails_in(t.maildir);
    BOOST_REQUIRE_EQUAL(all.size(), 2u);
    BOOST_CHECK_EQUAL(to(all, "bep@example.nl").size(), 1u);
    BOOST_CHECK_EQUAL(to(all, "cor@example.nl").size(), 1u);
    // After the restart, more: each once.
    t.ok({"claim", "--key", t.key("cor"), "--receiver", "2", "--minutes", "30"});
    all = wait_for_mails(t.maildir, 3);
    std::this_thread::sleep_for(std::chrono::seconds(1));
    all = mails_in(t.maildir);
    BOOST_CHECK_EQUAL(all.size(), 3u);
    std::set<std::string> ids;
    for (const auto& m : all) ids.insert(m.header("message-id"));
    BOOST_CHECK_EQUAL(ids.size(), 3u);

    // A rebuild of the projections from the log writes the same outbox keys: nothing again.
    t.server.stop(SIGTERM);
    auto rebuilt = run_uurwerk({"rebuild", "--data", (t.dir.path / "data").string()});
    BOOST_REQUIRE_MESSAGE(rebuilt.exit_code == 0, rebuilt.out);
    t.server.start();
    t.get("/v1/digest");  // serving again
    std::this_thread::sleep_for(std::chrono::seconds(2));
    BOOST_CHECK_EQUAL(mails_in(t.maildir).size(), 3u);
}

BOOST_AUTO_TEST_CASE(with_the_relay_down_messages_wait_and_ingest_goes_on) {
    temp_dir box("mail-down-box");
    const std::uint16_t port = free_port();
    smtp_sink relay(port, box.path / "maildir");  // not started: the relay is down
    mail_town t("mail-down", "smtp://127.0.0.1:" + std::to_string(port), box.path / "maildir");
    t.found();
    const auto before = std::chrono::steady_clock::now();
    t.propose();
    for (int i = 0; i < 5; ++i)
        t.ok({"claim", "--key", t.key("cor"), "--receiver", "2", "--minutes", "10"});
    const auto took = std::chrono::steady_clock::now() - before;
    // Eight writes answered while every send fails: nothing waits on the relay.
    BOOST_CHECK_MESSAGE(took < std::chrono::seconds(20),
                        "writes took "
                            << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                            << " ms");
    BOOST_CHECK(mails_in(t.maildir).empty());
    relay.start();
    auto all = wait_for_mails(t.maildir, 7, std::chrono::seconds(40));
    std::this_thread::sleep_for(std::chrono::seconds(1));
    all = mails_in(t.maildir);
    BOOST_CHECK_EQUAL(all.size(), 7u);  // two proposals, five claims on Bep
    BOOST_CHECK_EQUAL(to(all, "bep@example.nl").size(), 6u);
}

BOOST_AUTO_TEST_CASE(an_smtp_url_that_does_not_parse_stops_serve_with_a_clear_error) {
    temp_dir dir("mail-bad-url");
    const std::string data = (dir.path / "data").string();
    for (const std::string url :
         {"smtp//relay.example.nl", "http://relay.example.nl", "smtp://relay.example.nl:99999",
          "smtp://", "smtp://a b", "smtp://user:secret@relay.example.nl", "smtp://relay:25/x"}) {
        auto r = run_uurwerk({"serve", "--data", data, "--listen", "127.0.0.1:0", "--smtp", url,
                              "--mail-from", from_address});
        BOOST_CHECK_EQUAL(r.exit_code, 1);
        BOOST_CHECK_MESSAGE(r.out.find("--smtp '" + url + "'") != std::string::npos &&
                                r.out.find("smtp://relay.example.nl:587") != std::string::npos,
                            r.out);
    }
    auto no_from = run_uurwerk(
        {"serve", "--data", data, "--listen", "127.0.0.1:0", "--smtp", "smtp://127.0.0.1:25"});
    BOOST_CHECK_EQUAL(no_from.exit_code, 2);  // a usage error
    BOOST_CHECK_MESSAGE(no_from.out.find("--mail-from") != std::string::npos, no_from.out);
    auto bad_from = run_uurwerk({"serve", "--data", data, "--listen", "127.0.0.1:0", "--smtp",
                                 "smtp://127.0.0.1:25", "--mail-from", "not an address"});
    BOOST_CHECK_EQUAL(bad_from.exit_code, 2);  // a usage error
    BOOST_CHECK_MESSAGE(bad_from.out.find("--mail-from") != std::string::npos, bad_from.out);
    auto loose = run_uurwerk(
        {"serve", "--data", data, "--listen", "127.0.0.1:0", "--mail-from", from_address});
    BOOST_CHECK_EQUAL(loose.exit_code, 2);  // a usage error
    BOOST_CHECK_MESSAGE(loose.out.find("goes with --smtp") != std::string::npos, loose.out);
}

BOOST_AUTO_TEST_CASE(tls_to_the_relay_from_the_first_byte_or_by_starttls_and_never_to_a_stranger) {
    temp_dir box("mail-tls-box");
    std::filesystem::create_directories(box.path / "pki");
    const auto pki = make_test_pki(box.path / "pki");
    const std::string cert = pki.server_cert.string(), key = pki.server_key.string();
    const auto smtps = [](std::string url) { return url.replace(0, 4, "smtps"); };
    // smtps://: TLS from the first byte, the relay's certificate checked against our CA.
    {
        smtp_sink relay(free_port(), box.path / "smtps", {"--smtpscert", cert, "--smtpskey", key});
        relay.start();
        mail_town t("mail-smtps", smtps(relay.url()), box.path / "smtps",
                    {"--smtp-ca", pki.ca_cert.string()});
        t.found();
        t.ok({"claim", "--key", t.key("cor"), "--receiver", "2", "--minutes", "30"});
        BOOST_CHECK_EQUAL(wait_for_mails(t.maildir, 1).size(), 1u);
    }
    // STARTTLS, required: the relay offers it and the node takes it.
    {
        smtp_sink relay(free_port(), box.path / "starttls", {"--tlscert", cert, "--tlskey", key});
        relay.start();
        mail_town t("mail-starttls", relay.url(), box.path / "starttls",
                    {"--smtp-starttls", "--smtp-ca", pki.ca_cert.string()});
        t.found();
        t.ok({"claim", "--key", t.key("cor"), "--receiver", "2", "--minutes", "30"});
        BOOST_CHECK_EQUAL(wait_for_mails(t.maildir, 1).size(), 1u);
    }
    // A relay whose certificate our CA did not sign gets nothing: the message waits.
    {
        smtp_sink relay(free_port(), box.path / "stranger",
                        {"--smtpscert", cert, "--smtpskey", key});
        relay.start();
        mail_town t("mail-stranger", smtps(relay.url()), box.path / "stranger",
                    {"--smtp-ca", pki.other_ca_cert.string()});
        t.found();
        t.ok({"claim", "--key", t.key("cor"), "--receiver", "2", "--minutes", "30"});
        std::this_thread::sleep_for(std::chrono::seconds(2));
        BOOST_CHECK(mails_in(t.maildir).empty());
    }
}

BOOST_AUTO_TEST_CASE(an_invitation_goes_by_mail_with_a_link_that_only_opens_the_join_screen) {
    town_with_relay town("mail-invite");
    auto& t = town.t;
    // A member may not have the node mail an invitation; a coordinator may.
    auto out = t.ok({"invite", "--key", t.key("anna"), "--member", "8", "--email",
                     "fenna@example.nl", "--language", "en"});
    BOOST_CHECK(out.find("the node mails it to fenna@example.nl") != std::string::npos);
    auto all = wait_for_mails(t.maildir, 1);
    BOOST_REQUIRE_EQUAL(all.size(), 1u);
    const auto& m = all[0];
    BOOST_CHECK_EQUAL(m.header("to"), "<fenna@example.nl>");
    BOOST_CHECK_EQUAL(m.header("subject"), "An invitation to the time bank");
    BOOST_CHECK(m.says("You are invited to Buurtkring Lombok."));
    BOOST_CHECK(m.header("list-unsubscribe").empty());  // no member yet: a one-off
    // The link in the mail is the one the command printed, and it works once.
    const auto at = m.body.find(t.server.url() + "/#join/7/");
    BOOST_REQUIRE(at != std::string::npos);
    const std::string link = m.body.substr(at, m.body.find_first_of("\r\n", at) - at);
    BOOST_CHECK(out.find(link) != std::string::npos);
    t.ok({"join", "--link", link, "--out", t.key("fenna")});
    BOOST_CHECK(t.uw({"join", "--link", link, "--out", t.key("fenna2")}).exit_code != 0);
    // Bep, a member, cannot have an invitation mailed (coordinators only): 403.
    auto by_member =
        t.uw({"invite", "--key", t.key("bep"), "--add-device", "--email", "bep@example.nl"});
    BOOST_CHECK(by_member.exit_code != 0);
    BOOST_CHECK_MESSAGE(by_member.out.find("forbidden") != std::string::npos, by_member.out);
    std::this_thread::sleep_for(std::chrono::seconds(1));
    BOOST_CHECK_EQUAL(mails_in(t.maildir).size(), 1u);
}
