#pragma once
// Reading JSON we did not write ourselves (HTTP replies, key files) into a small owned tree,
// parsed by nlohmann/json as strictly as a request body (parse_json_value, api/json/json.h). The
// tree is ours, not nlohmann's, so that the modules reading it see no nlohmann header; it is
// built once from nlohmann's and owns its values. Pure; safe from any thread.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "ledger/core/base.h"

namespace uurwerk {

struct json_value {
    using array = std::vector<json_value>;
    using object = std::map<std::string, json_value>;
    std::variant<std::nullptr_t, bool, double, std::string, std::shared_ptr<array>,
                 std::shared_ptr<object>>
        v;

    const json_value* at(const std::string& key) const;  // nullptr if absent or not an object
    const array* as_array() const;
    std::optional<std::string> as_string() const;  // strings, and numbers printed as integers
    std::optional<double> as_number() const;       // numbers, and strings holding a number
    std::optional<bool> as_bool() const;
};

class json_doc {
public:
    // Errors: "bad_json" with the parser's description.
    [[nodiscard]] static result<json_doc> parse(std::string_view text);
    const json_value& root() const { return root_; }
    std::optional<std::string> string_at(const std::string& key) const;
    std::optional<double> number_at(const std::string& key) const;

private:
    json_value root_;
};

// A decimal whole number with no sign, no spaces and no overflow.
std::optional<std::uint64_t> parse_decimal(std::string_view text);

}  // namespace uurwerk
