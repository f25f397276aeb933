#include "ledger/audit.h"

#include <algorithm>

namespace uurwerk {

event_id checkpoint_event_id(community_id c, std::uint64_t tree_size, const public_key& node_key) {
    static constexpr std::string_view tag = "uurwerk/checkpoint-id/v1";
    std::uint8_t numbers[16];
    for (int i = 0; i < 8; ++i) {
        numbers[i] = static_cast<std::uint8_t>(c.value >> (56 - 8 * i));
        numbers[8 + i] = static_cast<std::uint8_t>(tree_size >> (56 - 8 * i));
    }
    const auto d = sha256({byte_view(reinterpret_cast<const std::uint8_t*>(tag.data()), tag.size()),
                           byte_view(numbers, 16), node_key.b});
    event_id id;
    std::copy_n(d.b.begin(), id.b.size(), id.b.begin());
    return id;
}

event_body checkpoint_body(community_id c, sequence seq, std::uint64_t tree_size,
                           const digest& root, time_ms now, const public_key& node_key) {
    return event_body{checkpoint_event_id(c, tree_size, node_key),
                      c,
                      community_fund,
                      seq,
                      now,
                      std::nullopt,
                      checkpoint{tree_size, root, now}};
}

}  // namespace uurwerk
