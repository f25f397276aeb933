#pragma once
// The embedded server: a node (api/node/node.h) behind the HTTP API (api/http/routes.h), on one
// address. `uurwerk serve` runs one until SIGINT or SIGTERM; benchmarks and tests start one
// in-process.
//
// Threading: start() returns a running server; stop() (or the destructor) stops the HTTP
// server first, then the node. node() may be used from any thread while it runs.

#include <filesystem>
#include <memory>
#include <string>

#include "api/http/access.h"
#include "api/http/http_server.h"
#include "api/http/quota.h"
#include "api/mail/mailer.h"
#include "api/mail/smtp.h"
#include "api/node/checkpointer.h"
#include "api/node/match_driver.h"
#include "api/node/node.h"

namespace uurwerk {

class http_server;
class routes;

// Who may found a community on this node.
enum class founding : std::uint8_t {
    operator_consent,  // the keys listed in DATA/founders (api/node/founders.h): what `serve` runs
    anyone,            // an in-process benchmark in a folder of its own
};

// The node's e-mail (serve --smtp, --mail-from, --app-url): api/mail/mailer.h.
struct mail_setup {
    smtp_relay relay;
    std::string from;     // the sender address
    std::string app_url;  // the web app's address in links; "" = the server's own
    // The crash drill's fault (api/mail/mailer.h): die before sending the Nth message.
    std::optional<std::uint64_t> crash_before_send = std::nullopt;
    mail_share share{};  // serve --mail-share: the partitions this node mails for
};

// How a node meets the network (api/http/http_server.h): TLS, and a reverse proxy it trusts.
struct serve_network {
    std::optional<tls_files> tls{};  // none: plain HTTP
    std::string trusted_proxy{};     // "" = none
    // Whether browsers reach the node over https: always with tls; behind a TLS proxy, the
    // operator says so (serve --secure-cookies). The session cookie is then `Secure`.
    cookie_security cookies = cookie_security::plain;
    quota_options quotas{};  // the rate quotas (api/http/quota.h): the defaults
    // E-mail notifications through this relay (api/mail): none without `serve --smtp`.
    std::optional<mail_setup> mail{};
};

class embedded_server {
public:
    // Opens the node in `data_dir` and listens on host:port (port 0 = any free port). The
    // node's own key is `data_dir`/node.key, made on first start; it signs a checkpoint of each
    // community that announced it every `checkpoint_interval` (0 = only on demand), and runs a
    // matching round there every `match_interval` (0 = only on demand). With network.tls, every
    // connection is TLS (api/http/http_server.h); its files' errors are bad_argument.
    // network.quotas are the HTTP API's rate quotas; benchmarks pass quota_options::unlimited().
    [[nodiscard]] static result<std::unique_ptr<embedded_server>> start(
        const std::filesystem::path& data_dir, const std::string& host, std::uint16_t port,
        const std::function<void(offset, offset)>& catch_up_progress = {},
        std::chrono::milliseconds checkpoint_interval = std::chrono::seconds(60),
        const std::optional<kafka_log_options>& kafka = std::nullopt,
        std::chrono::milliseconds match_interval = std::chrono::seconds(10),
        founding who_founds = founding::operator_consent, const serve_network& network = {});
    ~embedded_server();
    void stop();

    std::uint16_t port() const;
    // The most HTTP connections served at once (api/http/http_server.h).
    std::size_t connections_max() const;
    uurwerk::node& node() { return *node_; }
    uurwerk::checkpointer& checkpoints() { return *checkpointer_; }
    uurwerk::match_driver& matcher() { return *matcher_; }
    // The mail sender; null without network.mail.
    uurwerk::mailer* mail() { return mailer_.get(); }

private:
    embedded_server() = default;
    std::unique_ptr<uurwerk::node> node_;
    std::unique_ptr<uurwerk::checkpointer> checkpointer_;
    std::unique_ptr<uurwerk::match_driver> matcher_;
    std::unique_ptr<uurwerk::mailer> mailer_;  // outlives routes_, which borrow it
    std::unique_ptr<routes> routes_;
    // Reads each checkpointed community's newest leaves into the routes' report facts, every
    // checkpoint interval (api/node/reports.h: refresh), so that reports find them ready.
    std::unique_ptr<interval_thread> report_refresher_;
    std::unique_ptr<http_server> http_;
};

// `uurwerk serve`: runs until SIGINT/SIGTERM, then stops cleanly (everything acknowledged is
// in the log; the projections flush).
[[nodiscard]] result<void> serve_command(const std::string& data_dir, const std::string& listen,
                                         std::chrono::milliseconds checkpoint_interval,
                                         const std::optional<kafka_log_options>& kafka,
                                         std::chrono::milliseconds match_interval,
                                         const serve_network& network = {});

// The node's own key in `data_dir` (node.key, mode 0600), made when missing.
[[nodiscard]] result<signing_key> node_key_in(const std::filesystem::path& data_dir);

}  // namespace uurwerk
