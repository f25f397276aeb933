#include "api/http/mail_routes.h"

#include "api/json/json.h"
#include "api/json/json_read.h"
#include "projections/query.h"

namespace uurwerk::mail_routes {

namespace {

http_response no_mail() {
    return error_answer(errc::not_found, "this node sends no e-mail (serve --smtp URL)");
}

http_response choice_answer(community_id c, member_id who, mail_frequency f) {
    json_writer w;
    w.begin_object();
    w.key("community").decimal(c.value);
    w.key("member").decimal(who.value);
    w.key("frequency").string(frequency_name(f));
    w.end_object();
    return json_answer(200, w.take());
}

struct unsubscriber {
    community_id community;
    member_id member;
    std::string token;
};

// The link's three parameters, checked, and its token against the node's secret.
result<unsubscriber> unsubscriber_of(mailer& m, const target_parts& t) {
    const auto get = [&](const char* name) -> result<std::string> {
        auto it = t.query.find(name);
        if (it == t.query.end())
            return make_error(errc::bad_request,
                              std::string("the link has no ") + name + ": use it as it came");
        return it->second;
    };
    auto c = get("community");
    if (!c) return c.err();
    auto who = get("member");
    if (!who) return who.err();
    auto token = get("token");
    if (!token) return token.err();
    auto cid = decimal_param<community_id>(*c, "community");
    if (!cid) return cid.err();
    auto mid = decimal_param<member_id>(*who, "member");
    if (!mid) return mid.err();
    if (!m.token_matches(*cid, *mid, *token))
        return make_error(errc::forbidden, "this stop link is not one this node made");
    return unsubscriber{*cid, *mid, std::move(*token)};
}

}  // namespace

http_response choice(mailer* m, community_id c, member_id who) {
    if (!m) return no_mail();
    auto f = m->frequency(c, who);
    if (!f) return error_answer(f.err());
    return choice_answer(c, who, *f);
}

http_response set_choice(mailer* m, community_id c, member_id who, const http_request& request) {
    if (!m) return no_mail();
    auto doc = json_doc::parse(request.body);
    if (!doc) return error_answer(doc.err());
    const auto* fields = std::get_if<std::shared_ptr<json_value::object>>(&doc->root().v);
    if (fields == nullptr || *fields == nullptr)
        return error_answer(errc::bad_request, "send {\"frequency\": \"at_once\"}");
    for (const auto& [name, value] : **fields)
        if (name != "frequency")
            return error_answer(errc::unknown_field,
                                "the mail choice takes only \"frequency\", not \"" + name + "\"");
    auto text = doc->string_at("frequency");
    const auto f = text ? parse_frequency(*text) : std::nullopt;
    if (!f)
        return error_answer(errc::bad_request, "frequency is one of at_once, daily, weekly, never");
    if (auto w = m->set_frequency(c, who, *f); !w) return error_answer(w.err());
    return choice_answer(c, who, *f);
}

http_response mail_invitation(mailer* m, node& n, community_id c, const event_id& invitation,
                              const http_request& request, time_ms now) {
    if (!m) return no_mail();
    auto doc = json_doc::parse(request.body);
    if (!doc) return error_answer(doc.err());
    const auto* fields = std::get_if<std::shared_ptr<json_value::object>>(&doc->root().v);
    if (fields == nullptr || *fields == nullptr)
        return error_answer(errc::bad_request,
                            "send {\"code\": \"<32 hex>\", \"email\": \"...\", \"language\": "
                            "\"nl\"|\"en\"}");
    for (const auto& [name, value] : **fields)
        if (name != "code" && name != "email" && name != "language")
            return error_answer(errc::unknown_field,
                                "the invitation's mail takes code, email and "
                                "language, not \"" +
                                    name + "\"");
    auto code_text = doc->string_at("code");
    if (!code_text) return error_answer(errc::bad_request, "give the invitation's \"code\"");
    auto code = fixed_from_hex<invitation_code_bytes>(*code_text, "code");
    if (!code) return error_answer(code.err());
    const auto email = doc->string_at("email").value_or("");
    if (!sendable_address(email))
        return error_answer(
            errc::bad_request,
            "\"email\" must be a plain address (name@example.nl), not '" + email + "'");
    const auto language = doc->string_at("language").value_or("nl");
    if (language != "nl" && language != "en")
        return error_answer(errc::bad_request, "\"language\" is nl or en");
    auto inv = query::invitation(n.folder(c), c, invitation, *code);
    if (!inv) return error_answer(inv.err());
    if (inv->used) return error_answer(errc::invitation_used, "this invitation was used");
    if (!inv->open_at(now))
        return error_answer(errc::invitation_expired, "this invitation has expired");
    if (auto q = m->queue_invitation(c, invitation, *code, email,
                                     language == "en" ? mail_language::en : mail_language::nl);
        !q)
        return error_answer(q.err());
    return json_answer(202, "{\"queued\": true}");
}

http_response unsubscribe_page(mailer* m, const target_parts& t) {
    if (!m) return no_mail();
    auto u = unsubscriber_of(*m, t);
    if (!u) return error_answer(u.err());
    http_response r;
    r.content_type = "text/html; charset=utf-8";
    const std::string action =
        "/v1/mail/unsubscribe?community=" + std::to_string(u->community.value) +
        "&member=" + std::to_string(u->member.value) + "&token=" + u->token;
    r.body =
        "<!doctype html><html lang=\"nl\"><meta charset=\"utf-8\"><title>uurwerk</title>"
        "<meta name=\"viewport\" content=\"width=device-width\">"
        "<form method=\"post\" action=\"" +
        action +
        "\"><p>Geen e-mail meer van deze tijdbank? / No more e-mail from this time bank?</p>"
        "<button type=\"submit\">Stop / Stoppen</button></form></html>";
    r.headers.emplace_back("Cache-Control", "no-store");
    return r;
}

http_response unsubscribe(mailer* m, const target_parts& t) {
    if (!m) return no_mail();
    auto u = unsubscriber_of(*m, t);
    if (!u) return error_answer(u.err());
    if (auto w = m->set_frequency(u->community, u->member, mail_frequency::never); !w)
        return error_answer(w.err());
    return choice_answer(u->community, u->member, mail_frequency::never);
}

}  // namespace uurwerk::mail_routes
