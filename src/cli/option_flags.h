// The command-line face of an OptionTable: each declared option becomes a CLI11 flag of the verb
// (name, help with its allowed values and default, group), parsed by the option's own strict
// setter; grid files go through the same table.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "nnmass/options.h"

namespace nnmass::cli {

// Registers every option of `table` on `cmd`. The table must outlive the parse.
void add_flags(CLI::App* cmd, const OptionTable& table);

// An error for the first option given that does not apply to `family`.
void check_family_options(const OptionTable& table, const std::string& family);

}  // namespace nnmass::cli
