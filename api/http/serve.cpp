#include "api/http/serve.h"

#include <signal.h>

#include <chrono>
#include <cstdio>
#include <iostream>

#include "api/http/http_client.h"
#include "api/http/http_server.h"
#include "api/http/routes.h"
#include "api/http/tls.h"
#include "api/json/json_read.h"
#include "api/node/founders.h"
#include "api/node/key_file.h"

namespace uurwerk {

result<signing_key> node_key_in(const std::filesystem::path& data_dir) {
    const auto path = data_dir / "node.key";
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
        auto k = signing_key::generate();
        if (!k) return k.err();
        key_file f;
        f.seed = k->seed();
        f.pub = k->public_bytes();
        if (auto w = write_key_file(path, f); !w) return w.err();
        return std::move(*k);
    }
    auto f = read_key_file(path);
    if (!f) return f.err();
    return signing_key::from_seed(f->seed);
}

result<std::unique_ptr<embedded_server>> embedded_server::start(
    const std::filesystem::path& data_dir, const std::string& host, std::uint16_t port,
    const std::function<void(offset, offset)>& catch_up_progress,
    std::chrono::milliseconds checkpoint_interval, const std::optional<kafka_log_options>& kafka,
    std::chrono::milliseconds match_interval, founding who_founds, const serve_network& network) {
    auto s = std::unique_ptr<embedded_server>(new embedded_server());
    node_options o{data_dir, wall_clock(), std::chrono::milliseconds(10'000), catch_up_progress,
                   kafka};
    if (who_founds == founding::operator_consent)
        o.founding_gate = [data_dir](const public_key& founder) -> result<void> {
            auto allowed = founder_allowed(data_dir, founder);
            if (!allowed) return allowed.err();
            if (*allowed) return ok_value;
            return make_error(errc::founding_not_allowed,
                              "this node founds communities only for keys its operator allowed, "
                              "and " +
                                  founder.hex() +
                                  " is not one: the operator runs 'uurwerk allow-founder --data "
                                  "DIR --public-key-file FILE.pub' on the node's machine");
        };
    auto n = node::open(o);
    if (!n) return n.err();
    s->node_ = std::move(*n);
    auto key = node_key_in(data_dir);
    if (!key) return key.err();
    s->checkpointer_ = std::make_unique<checkpointer>(
        *s->node_, std::move(*key), checkpointer_options{checkpoint_interval, wall_clock()});
    s->checkpointer_->start();
    s->matcher_ = std::make_unique<match_driver>(*s->node_, *s->checkpointer_,
                                                 match_driver_options{match_interval});
    s->matcher_->start();
    if (network.mail) {
        mailer_options mo;
        mo.from = network.mail->from;
        mo.app_url = network.mail->app_url;
        mo.clock = wall_clock();
        mo.crash_before_send = network.mail->crash_before_send;
        mo.share = network.mail->share;
        auto m = mailer::open(*s->node_, data_dir / "mail", std::move(mo),
                              smtp_transport(network.mail->relay));
        if (!m) return m.err();
        s->mailer_ = std::move(*m);
    }
    auto operator_token = operator_token_in(data_dir);
    if (!operator_token) return operator_token.err();
    s->routes_ = std::make_unique<routes>(
        *s->node_, s->checkpointer_.get(), s->matcher_.get(),
        access_options{wall_clock(), std::move(*operator_token), sessions_cached_max,
                       access_checks::on, network.tls ? cookie_security::secure : network.cookies},
        network.quotas);
    s->routes_->set_mailer(s->mailer_.get());
    // After each interval, the communities this node checkpoints: their reports' facts read
    // ahead of any coordinator's asking (at most as many as the cache keeps).
    s->report_refresher_ =
        std::make_unique<interval_thread>("uw-reports", checkpoint_interval, [server = s.get()] {
            auto all = server->node_->communities_announcing(server->checkpointer_->node_key());
            if (all.size() > report_cache_communities_max) all.resize(report_cache_communities_max);
            for (const auto& [c, events] : all)
                if (auto r = server->routes_->reports().refresh(*server->node_, c); !r)
                    std::fprintf(stderr, "uurwerk: the reports of community %llu: %s: %s\n",
                                 static_cast<unsigned long long>(c.value),
                                 std::string(name(r.err().code)).c_str(), r.err().message.c_str());
        });
    s->report_refresher_->start();
    http_server_options options;
    options.host = host;
    options.port = port;
    options.refuse_early = s->routes_->refuse_early();
    options.tls = network.tls;
    options.trusted_proxy = network.trusted_proxy;
    auto http = http_server::open(options, s->routes_->handler(), s->routes_->async_route(),
                                  s->routes_->stats());
    if (!http) return http.err();
    s->http_ = std::move(*http);
    s->http_->start();
    if (s->mailer_) {
        // Links lead to this server unless the operator named the web app's address.
        if (network.mail->app_url.empty())
            s->mailer_->set_app_url(std::string(network.tls ? "https" : "http") + "://" + host +
                                    ":" + std::to_string(s->http_->port()));
        s->mailer_->start();
    }
    return s;
}

embedded_server::~embedded_server() {
    stop();
}

void embedded_server::stop() {
    if (http_) http_->stop();  // no request is in flight once this returns
    http_.reset();
    if (mailer_) mailer_->stop();
    if (matcher_) matcher_->stop();
    if (checkpointer_) checkpointer_->stop();
    if (report_refresher_) report_refresher_->stop();
    report_refresher_.reset();
    routes_.reset();
    mailer_.reset();
    matcher_.reset();
    checkpointer_.reset();
    node_.reset();  // the projector stops; the store flushes
}

std::uint16_t embedded_server::port() const {
    return http_ ? http_->port() : 0;
}

std::size_t embedded_server::connections_max() const {
    return http_ ? http_->connections_max() : 0;
}

result<void> serve_command(const std::string& data_dir, const std::string& listen,
                           std::chrono::milliseconds checkpoint_interval,
                           const std::optional<kafka_log_options>& kafka,
                           std::chrono::milliseconds match_interval, const serve_network& network) {
    const auto& tls = network.tls;
    // HOST:PORT, where port 0 asks for any free port (the line below says which).
    const auto colon = listen.rfind(':');
    const auto port =
        colon == std::string::npos ? std::nullopt : parse_decimal(listen.substr(colon + 1));
    if (colon == std::string::npos || colon == 0 || !port || *port > 65535)
        return make_error(errc::bad_argument,
                          "--listen must look like 127.0.0.1:8080, not '" + listen + "'");
    const http_address address_value{listen.substr(0, colon), static_cast<std::uint16_t>(*port)};
    const auto* address = &address_value;
    // SIGINT and SIGTERM are taken by sigwait below, in this thread only: block them before
    // any other thread starts, so that every thread inherits the mask.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
    signal(SIGPIPE, SIG_IGN);

    // A bad certificate or key is said before the log is opened (which may take a while).
    if (tls) {
        if (auto ctx = tls_server_context(*tls); !ctx) return ctx.err();
    }
    std::cerr << "uurwerk: opening " << data_dir << " (log and projections)...\n";
    // While a long log tail is applied, a stop signal waits in the blocked set: check for it
    // with each progress line and stop at once. Nothing is lost: the store holds a consistent
    // prefix of the log (what its last flush reached), and the next start goes on from there.
    auto progress = [](offset applied, offset end) {
        std::cerr << "uurwerk: applying the log: " << applied.value << " / " << end.value << "\n";
        sigset_t pending;
        sigpending(&pending);
        if (sigismember(&pending, SIGINT) || sigismember(&pending, SIGTERM)) {
            std::cerr << "uurwerk: stopped while applying the log (at " << applied.value
                      << "); the next start goes on from the last point the projections reached "
                         "disk\n";
            std::_Exit(130);
        }
    };
    if (kafka)
        std::cerr << "uurwerk: the log is topic '" << kafka->topic << "' ("
                  << kafka->partitions_total << " partitions) on Kafka at "
                  << kafka->bootstrap_servers << "\n";
    auto server = embedded_server::start(data_dir, address->host, address->port, progress,
                                         checkpoint_interval, kafka, match_interval,
                                         founding::operator_consent, network);
    if (!server) return server.err();
    auto& n = (*server)->node();
    std::cerr << "uurwerk: " << n.progress().applied_total << " records in the log"
              << (n.partitions() > 1 ? " (" + std::to_string(n.partitions()) + " partitions)" : "")
              << ", all applied\n";
    auto founders = founders_count(data_dir);
    if (!founders) return founders.err();
    std::cerr << "uurwerk: " << *founders << " key(s) may found a community ("
              << founders_file(data_dir).string()
              << "; the operator adds one with 'uurwerk allow-founder')\n";
    std::cerr << "uurwerk: at most " << (*server)->connections_max() << " connections ("
              << http_connections_per_address_max << " from one address)\n";
    const auto& limits = network.quotas;
    const auto quota = [](rate_limit l) {
        return l.unlimited()
                   ? std::string("off")
                   : std::to_string(l.per_s) + "/s, " + std::to_string(l.burst) + " at once";
    };
    std::cerr << "uurwerk: quotas: writes " << quota(limits.writes_per_key) << " per key and "
              << quota(limits.writes_per_address) << " per address; reads "
              << quota(limits.reads_per_session) << " per session and "
              << quota(limits.reads_per_address) << " per address without one\n";
    std::cerr << "uurwerk: node key " << (*server)->checkpoints().node_key().hex()
              << " (checkpoints every " << checkpoint_interval.count() / 1000
              << " s, a matching round every " << match_interval.count() / 1000.0
              << " s, where a coordinator announced it)\n";
    if (network.mail)
        std::cerr << "uurwerk: e-mail through " << network.mail->relay.url
                  << (network.mail->relay.implicit_tls ||
                              network.mail->relay.upgrade == starttls::required
                          ? " (TLS)"
                          : "")
                  << " from " << network.mail->from << ", at least once (api/README.md, "
                  << "\"E-mail\")\n";
    if (tls)
        std::cerr << "uurwerk: TLS 1.2 and 1.3 with the certificate " << tls->cert_file.string()
                  << "\n";
    if (!network.trusted_proxy.empty())
        std::cerr << "uurwerk: behind the proxy at " << network.trusted_proxy
                  << ": its requests' client is the last address of X-Forwarded-For\n";
    // The line tests and scripts wait for; printed once requests are being served.
    std::cout << "uurwerk: listening on " << (tls ? "https" : "http") << "://" << address->host
              << ":" << (*server)->port() << std::endl;

    int sig = 0;
    sigwait(&stop_signals, &sig);
    std::cerr << "uurwerk: " << (sig == SIGINT ? "SIGINT" : "SIGTERM")
              << ": stopping (finishing the requests in flight)...\n";
    (*server)->stop();
    std::cerr << "uurwerk: stopped\n";
    return ok_value;
}

}  // namespace uurwerk
