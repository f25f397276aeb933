#include "api/http/access.h"

#include <fstream>

#include "api/http/route_support.h"
#include "api/json/json.h"
#include "api/json/json_read.h"

namespace uurwerk {
namespace {

constexpr std::size_t operator_token_chars_min = 32;

http_response unauthenticated(std::string_view message) {
    return error_answer(errc::unauthenticated, message);
}

// A 401 says how to authenticate (RFC 6750).
http_response challenged(http_response answer) {
    if (answer.status == 401)
        answer.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"uurwerk\"");
    return answer;
}

http_response forbidden(std::string_view message) {
    return error_answer(errc::forbidden, message);
}

// Compares in time that depends only on the lengths.
bool same_secret(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    unsigned char diff = 0;
    for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
    return diff == 0;
}

std::string who_text(const session_statement& s) {
    if (s.member.value == 0) return "an auditor of community " + std::to_string(s.community.value);
    return "member " + std::to_string(s.member.value) + " of community " +
           std::to_string(s.community.value);
}

std::string_view rule_text(caller who) {
    switch (who) {
        case caller::self:
            return "only the member, their delegate, or a coordinator of the community may read "
                   "a member's own data";
        case caller::party:
            return "only the parties of a claim or the owner of a post, their delegates, or a "
                   "coordinator of the community may read it";
        case caller::match_partner:
            return "only the member, their delegate, the other person of an accepted match with "
                   "them, or a coordinator may read this";
        case caller::coordinator:
            return "only a coordinator of the community may";
        case caller::auditor:
            return "only a coordinator or an auditor of the community may";
        case caller::self_or_auditor:
            return "only the member, their delegate, a coordinator, or an auditor of the "
                   "community may";
        case caller::anyone:
        case caller::event_signer:
        case caller::node_operator:
        case caller::member:
            break;
    }
    return "";
}

}  // namespace

result<std::string> operator_token_in(const std::filesystem::path& data_dir) {
    const auto path = data_dir / "operator_token";
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) return std::string();
    std::ifstream in(path);
    std::string token;
    if (!in || !std::getline(in, token))
        return make_error(errc::io_error, "cannot read " + path.string());
    while (!token.empty() && (token.back() == '\r' || token.back() == ' ')) token.pop_back();
    if (token.size() < operator_token_chars_min)
        return make_error(errc::bad_argument, path.string() +
                                                  ": the operator token must be at least " +
                                                  std::to_string(operator_token_chars_min) +
                                                  " characters (e.g. 'openssl rand -hex 32')");
    return token;
}

bool is_loopback(std::string_view peer) {
    return peer.starts_with("127.") || peer == "::1" || peer.starts_with("::ffff:127.");
}

access::access(node& n, access_options options)
    : node_(n), options_(std::move(options)), sessions_(options_.sessions_cached_max) {
    UURWERK_ASSERT(options_.clock != nullptr);
}

std::optional<http_response> access::operator_check(const http_request& request) const {
    if (is_loopback(request.peer)) return std::nullopt;
    const auto token = session_token_of(request);
    if (!token || request.authorization.empty())
        return unauthenticated(
            "this is the operator's: ask from the node's own machine, or send 'Authorization: "
            "Bearer OPERATOR_TOKEN' (the node's DATA/operator_token)");
    if (options_.operator_token.empty() || !same_secret(*token, options_.operator_token))
        return forbidden("that is not the operator token of this node");
    return std::nullopt;
}

std::variant<access::reader_found, http_response> access::reader(
    std::optional<std::string_view> token, std::optional<community_id> route_community,
    const query::access_subject& subject, time_ms now) {
    if (!token)
        return unauthenticated(
            "this needs a session: sign a session statement with your key and send it as "
            "'Authorization: Bearer TOKEN' (api/README.md, \"Sessions\"; the CLI signs in with "
            "--key FILE)");
    auto statement = sessions_.check(*token, now);
    if (!statement) return error_answer(statement.err());
    const community_id c = route_community.value_or(statement->community);
    if (statement->community != c)
        return forbidden("this session is for community " +
                         std::to_string(statement->community.value) + ", not community " +
                         std::to_string(c.value));
    auto standing =
        query::reader(node_.folder(c), c, statement->member, statement->key, subject, now);
    if (!standing || !standing->current)
        return unauthenticated(
            statement->member.value == 0
                ? "the session's key is not the key of a current auditor of community " +
                      std::to_string(c.value) +
                      " (never appointed, or the appointment ended): a coordinator appoints "
                      "auditors (auditorAppointed)"
                : "the session's key is not a current key of " + who_text(*statement) +
                      " in good standing (revoked, suspended, or not a member): sign in with a "
                      "current key");
    return reader_found{*statement, *standing};
}

std::optional<http_response> access::check(caller who, const route_call& call) {
    if (options_.checks == access_checks::off_to_measure_them) return std::nullopt;
    switch (who) {
        case caller::anyone:
        case caller::event_signer:
            return std::nullopt;
        case caller::node_operator:
            if (auto refused = operator_check(call.request)) return challenged(std::move(*refused));
            return std::nullopt;
        case caller::member:
        case caller::self:
        case caller::party:
        case caller::match_partner:
        case caller::coordinator:
        case caller::auditor:
        case caller::self_or_auditor:
            break;
    }
    query::access_subject subject;
    if (who == caller::self || who == caller::self_or_auditor || who == caller::match_partner)
        subject.member = call.args.member;
    if (who == caller::party) subject.event = call.args.event;
    const time_ms now = options_.clock();
    auto found = reader(session_token_of(call.request), call.args.community, subject, now);
    if (auto* refusal = std::get_if<http_response>(&found)) return challenged(std::move(*refusal));
    const auto& r = std::get<reader_found>(found);
    if (r.standing.auditor) {
        // An auditor reads what proves the ledger, never a person's data.
        if (who == caller::auditor) return std::nullopt;
        if (who == caller::self_or_auditor) {
            // Any value but "false": the handler refuses values other than true and false, and
            // an auditor learns nothing from which refusal comes first.
            if (auto it = call.target.query.find("reveal_notes");
                it != call.target.query.end() && it->second != "false")
                return forbidden(
                    "an auditor may not ask for a member's notes: revealing them is the "
                    "member's choice (ask without reveal_notes)");
            return std::nullopt;
        }
        return forbidden("a session of " + who_text(r.statement) +
                         " may read the community's export, events, leaves and hour "
                         "certificates only, never members' data or texts");
    }
    if (who == caller::member || r.standing.coordinator) return std::nullopt;
    if ((who == caller::self || who == caller::self_or_auditor || who == caller::party ||
         who == caller::match_partner) &&
        r.standing.for_subject)
        return std::nullopt;
    if (who == caller::match_partner) {
        auto partners = query::matched(node_.folder(call.args.community), call.args.community,
                                       r.statement.member, call.args.member, now);
        if (partners && *partners) return std::nullopt;
    }
    return forbidden("a session of " + who_text(r.statement) +
                     " may not read this: " + std::string(rule_text(who)));
}

http_response access::sign_in(const http_request& request) {
    auto doc = json_doc::parse(request.body);
    if (!doc) return error_answer(doc.err());
    auto token = doc->string_at("token");
    if (!token)
        return bad_request(
            "send {\"token\": \"<base64 of the statement and its signature>\"} "
            "(api/README.md, \"Sessions\")");
    const time_ms now = options_.clock();
    auto found = reader(std::string_view(*token), std::nullopt, {}, now);
    if (auto* refusal = std::get_if<http_response>(&found)) return std::move(*refusal);
    const auto& s = std::get<reader_found>(found).statement;
    json_writer w;
    w.begin_object();
    w.key("community").decimal(s.community.value);
    w.key("member").decimal(s.member.value);
    w.key("auditor").boolean(std::get<reader_found>(found).standing.auditor);
    w.key("expires_at_ms").decimal_signed(s.expires_at.value);
    w.end_object();
    auto answer = json_answer(200, w.take());
    const auto seconds = (s.expires_at.value - now.value) / 1000;
    answer.headers.emplace_back("Set-Cookie", std::string(session_cookie_name) + "=" + *token +
                                                  "; Path=/; Max-Age=" + std::to_string(seconds) +
                                                  cookie_attributes());
    answer.headers.emplace_back("Cache-Control", "no-store");
    return answer;
}

http_response access::sign_out() const {
    auto answer = json_answer(200, "{\"signed_out\":true}");
    answer.headers.emplace_back("Set-Cookie", std::string(session_cookie_name) +
                                                  "=; Path=/; Max-Age=0" + cookie_attributes());
    return answer;
}

std::string access::cookie_attributes() const {
    return std::string("; HttpOnly; SameSite=Strict") +
           (options_.cookies == cookie_security::secure ? "; Secure" : "");
}

std::optional<session_statement> access::session_of(const http_request& request) {
    const auto token = session_token_of(request);
    if (!token) return std::nullopt;
    auto statement = sessions_.check(*token, options_.clock());
    if (!statement) return std::nullopt;
    return *statement;
}

}  // namespace uurwerk
