#pragma once
// Command-line arguments: `--name value` options and `--flag`s, checked against what a command
// declares, with the help text generated from the same declarations. Pure; no I/O.

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ledger/core/base.h"

namespace uurwerk::cli {

struct option_spec {
    std::string name;             // without the dashes
    std::string value_name = {};  // empty for a flag
    std::string help = {};
    bool required = false;
};

struct command_spec {
    std::string name;
    std::string summary;
    std::vector<option_spec> options;
    std::vector<std::string> positionals = {};  // names, for the usage line; "[NAME]" optional
};

class parsed_args {
public:
    bool has(const std::string& name) const { return values_.contains(name); }
    std::optional<std::string> get(const std::string& name) const;
    const std::vector<std::string>& positionals() const { return positionals_; }
    // The option as a number, or an error naming the option.
    [[nodiscard]] result<std::uint64_t> get_u64(const std::string& name) const;
    [[nodiscard]] result<std::int64_t> get_i64(const std::string& name) const;

private:
    friend result<parsed_args> parse(const command_spec&, const std::vector<std::string>&);
    std::map<std::string, std::string> values_;
    std::vector<std::string> positionals_;
};

// Parses `args` (after the command name). "--help" is answered by the caller before this.
[[nodiscard]] result<parsed_args> parse(const command_spec& spec,
                                        const std::vector<std::string>& args);

// "usage: uurwerk NAME [options]" and one line per option.
std::string help_text(const command_spec& spec);

[[nodiscard]] result<std::uint64_t> parse_u64(const std::string& text, const std::string& what);
[[nodiscard]] result<std::int64_t> parse_i64(const std::string& text, const std::string& what);

// Option `name`, which names one of two values: `first` (also when it is not given) or
// `second`; anything else is bad_argument ("--NAME is 'A' or 'B', not 'X'").
template <typename E>
[[nodiscard]] result<E> either_option(const parsed_args& a, const std::string& name,
                                      std::pair<const char*, E> first,
                                      std::pair<const char*, E> second) {
    const auto v = a.get(name);
    if (!v || *v == first.first) return first.second;
    if (*v == second.first) return second.second;
    return make_error(errc::bad_argument, "--" + name + " is '" + first.first + "' or '" +
                                              second.first + "', not '" + *v + "'");
}

}  // namespace uurwerk::cli
