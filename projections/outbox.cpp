#include "projections/outbox.h"

#include <cstring>

namespace uurwerk {

namespace {

// Value layout, after a version byte: community (8), event (16), subject (16), other (8),
// logged (8).
constexpr std::uint8_t value_version = 1;
constexpr std::size_t value_bytes = 1 + 8 + 16 + 16 + 8 + 8;

void put_id(std::string& out, const event_id& id) {
    out.append(reinterpret_cast<const char*>(id.b.data()), id.b.size());
}

event_id get_id(std::string_view in, std::size_t pos) {
    event_id id;
    std::memcpy(id.b.data(), in.data() + pos, id.b.size());
    return id;
}

// Adds the item for `recipient` and one copy for each proxy of theirs in force at `logged`.
void add_with_proxies(const community_state& c, outbox_item item, std::vector<outbox_item>& out) {
    out.push_back(item);
    for (auto it = c.delegations.lower_bound({item.about, member_id{0}});
         it != c.delegations.end() && it->first.first == item.about; ++it) {
        const delegation_state& d = it->second;
        if (!d.proxy || !d.in_force_at(item.logged)) continue;
        outbox_item copy = item;
        copy.recipient = it->first.second;
        out.push_back(copy);
    }
}

}  // namespace

void outbox_items_of(const ledger_state& s, const event_body& b, const verdict& v, offset at,
                     time_ms logged, std::vector<outbox_item>& out) {
    if (!v.accepted()) return;
    const auto kind = b.kind();
    if (kind != event_kind::match_proposed && kind != event_kind::match_accepted &&
        kind != event_kind::hours_claimed)
        return;
    const auto c = s.communities.find(b.community);
    if (c == s.communities.end()) return;
    outbox_item item{at, {}, {},    mail_purpose::proposal_to_answer, b.community, b.id,
                     {}, {}, logged};
    if (const auto* claim = std::get_if<hours_claimed>(&b.payload)) {
        item.purpose = mail_purpose::claim_to_confirm;
        item.recipient = item.about = claim->receiver;
        item.subject = b.id;
        item.other = b.actor();
        add_with_proxies(c->second, item, out);
        return;
    }
    // A proposal's match has the proposal's id; an acceptance names it.
    event_id match = b.id;
    if (const auto* accepted = std::get_if<match_accepted>(&b.payload)) {
        item.purpose = mail_purpose::match_accepted;
        match = accepted->match;
    }
    const auto m = c->second.matches.find(match);
    if (m == c->second.matches.end()) return;
    item.subject = match;
    for (auto [who, other] : {std::pair{m->second.requester, m->second.helper},
                              std::pair{m->second.helper, m->second.requester}}) {
        item.recipient = item.about = who;
        item.other = other;
        add_with_proxies(c->second, item, out);
    }
}

std::string outbox_key_from(offset o) {
    std::string k;
    k.reserve(outbox_key_bytes);
    put_be64(k, o.value);
    return k;
}

std::string outbox_key(const outbox_item& item) {
    std::string k = outbox_key_from(item.at);
    put_be64(k, item.recipient.value);
    put_be64(k, item.about.value);
    k.push_back(static_cast<char>(item.purpose));
    return k;
}

std::string outbox_value(const outbox_item& item) {
    std::string v;
    v.reserve(value_bytes);
    v.push_back(static_cast<char>(value_version));
    put_be64(v, item.community.value);
    put_id(v, item.event);
    put_id(v, item.subject);
    put_be64(v, item.other.value);
    put_be64(v, static_cast<std::uint64_t>(item.logged.value));
    return v;
}

std::optional<outbox_item> decode_outbox_item(std::string_view key, std::string_view value) {
    if (key.size() != outbox_key_bytes || value.size() != value_bytes ||
        static_cast<std::uint8_t>(value[0]) != value_version)
        return std::nullopt;
    const auto purpose = static_cast<std::uint8_t>(key[24]);
    if (purpose == 0 || purpose > mail_purpose_max) return std::nullopt;
    outbox_item item;
    item.at = offset{get_be64(key, 0)};
    item.recipient = member_id{get_be64(key, 8)};
    item.about = member_id{get_be64(key, 16)};
    item.purpose = static_cast<mail_purpose>(purpose);
    item.community = community_id{get_be64(value, 1)};
    item.event = get_id(value, 9);
    item.subject = get_id(value, 25);
    item.other = member_id{get_be64(value, 41)};
    item.logged = time_ms{static_cast<std::int64_t>(get_be64(value, 49))};
    return item;
}

void write_outbox(const std::vector<outbox_item>& items, store::batch& b) {
    for (const auto& item : items) b.put(column::outbox, outbox_key(item), outbox_value(item));
}

}  // namespace uurwerk
