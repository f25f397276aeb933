#include "api/http/invitation_routes.h"

#include "api/http/route_support.h"
#include "api/http/value_names.h"
#include "api/json/json.h"
#include "api/json/json_read.h"
#include "projections/query.h"

namespace uurwerk::invitation_routes {
namespace {

std::string_view status_of(const invitation_state& inv, time_ms now) {
    if (inv.used) return "used";
    return inv.open_at(now) ? "open" : "expired";
}

// The fields every answer about an invitation shows (never its code or the code's digest); its
// id under `id_key` ("invitation" in a check's answer, "id" in a row of the list).
void invitation_fields(json_writer& w, std::string_view id_key, const event_id& id,
                       const invitation_state& inv, time_ms now) {
    w.key(id_key).string(id.hex());
    w.key("purpose").string(purpose_name(inv.purpose));
    w.key("member").decimal(inv.member.value);
    w.key("role").string(role_name(inv.member_role));
    w.key("verified").boolean(inv.verified);
    w.key("expires_at_ms").decimal_signed(inv.until.value);
    w.key("status").string(status_of(inv, now));
}

// The body {"code": "<32 hex>"}, and nothing else.
result<invitation_code> code_of(const http_request& request) {
    const auto wrong = [] {
        return make_error(errc::bad_request,
                          "send {\"code\": \"<32 hex>\"}: the invitation's code from its link");
    };
    auto doc = json_doc::parse(request.body);
    if (!doc) return doc.err();
    const auto* fields = std::get_if<std::shared_ptr<json_value::object>>(&doc->root().v);
    if (fields == nullptr || *fields == nullptr) return wrong();
    for (const auto& [name, value] : **fields)
        if (name != "code")
            return make_error(errc::unknown_field,
                              "the check takes only \"code\", not \"" + name + "\"");
    auto text = doc->string_at("code");
    if (!text) return wrong();
    return fixed_from_hex<invitation_code_bytes>(*text, "code");
}

}  // namespace

http_response check(node& n, community_id c, const event_id& id, const http_request& request,
                    time_ms now) {
    auto code = code_of(request);
    if (!code) return error_answer(code.err());
    auto inv = query::invitation(n.folder(c), c, id, *code);
    if (!inv) return error_answer(inv.err());
    json_writer w;
    w.begin_object();
    w.key("community").decimal(c.value);
    invitation_fields(w, "invitation", id, *inv, now);
    w.end_object();
    auto answer = json_answer(200, w.take());
    answer.headers.emplace_back("Cache-Control", "no-store");
    return answer;
}

http_response list(node& n, community_id c, time_ms now) {
    auto all = query::invitations(n.folder(c), c, now);
    if (!all) return error_answer(all.err());
    json_writer w;
    w.begin_object();
    w.key("community").decimal(c.value);
    w.key("invitations").begin_array();
    for (const auto& [id, inv] : all->invitations) {
        w.begin_object();
        invitation_fields(w, "id", id, inv, now);
        w.key("issued_by").decimal(inv.issued_by.value);
        w.key("issued_at_ms").decimal_signed(inv.issued_at.value);
        w.end_object();
    }
    w.end_array();
    w.key("next_member").decimal(all->next_member.value);
    w.end_object();
    auto answer = json_answer(200, w.take());
    answer.headers.emplace_back("Cache-Control", "no-store");
    return answer;
}

}  // namespace uurwerk::invitation_routes
