#pragma once
// The fairness knobs of a community's policy as command-line flags: one list of names, help
// texts and fields, read the same way by `found`, `policy` and `bench fairness` (which runs the
// simulated community under the knobs given, so a coordinator can try a policy before signing
// it). Pure; no I/O.

#include <cstdint>
#include <string>
#include <vector>

#include "api/args/cli_args.h"
#include "ledger/core/event.h"

namespace uurwerk::cli {

struct knob_flag {
    std::string name;  // the flag, without the dashes; its JSON name has '_' for '-'
    std::uint32_t fairness_knobs::*field;
    std::string help;
};

// Every knob but on/off, in the policy's order.
const std::vector<knob_flag>& knob_flags();

// `--fairness on|off` and one option per knob.
std::vector<option_spec> knob_options();

// Sets in `k` the knobs whose flags `a` holds (and `off` from --fairness); other fields are left
// as they are. Values are checked only for size here: the ledger's rules check the ranges.
[[nodiscard]] result<void> read_knob_flags(const parsed_args& a, fairness_knobs& k);

}  // namespace uurwerk::cli
