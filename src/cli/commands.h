// One registration function per verb; each adds its subcommand and callback to the app.
#pragma once

#include <CLI/CLI.hpp>

namespace nnmass::cli {

void register_mass(CLI::App& app);
void register_build(CLI::App& app);
void register_train(CLI::App& app);
void register_isometry(CLI::App& app);
void register_sweep(CLI::App& app);
void register_report(CLI::App& app);
void register_design(CLI::App& app);

}  // namespace nnmass::cli
