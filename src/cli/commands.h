// One registration function per verb; each adds its subcommand, its declared options and its
// callback to the app. The verbs that build no neural network (mass, report, design without
// --validate) live in the nnmass executable itself, which does not link libtorch; the others live
// in a plugin (libnnmass_torch_verbs.so) that main() loads only when the command line needs it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "nnmass/recipe.h"
#include "nnmass/spec.h"

namespace nnmass::cli {

// Torch-free verbs.
void register_mass(CLI::App& app);
void register_report(CLI::App& app);
void register_design(CLI::App& app);

// `design --validate`: what to train and where to write it.
struct DesignValidation {
  DataOptions data;
  TrainOptions train;
  bool no_augment = false;
  std::vector<uint64_t> seeds;
  std::string db, report;
  bool json = false;
};

// What the plugin hands the torch-free verbs.
struct TorchHooks {
  // Trains the reference and the design (seeds x 2 runs) and reports; set by the plugin.
  // Returns the accuracies as JSON; prints a summary unless validation.json.
  nlohmann::json (*validate_design)(const OptionTable& table, const DesignValidation& validation,
                                    const Spec& reference, const Spec& design) = nullptr;
  // The data set's sample shape and number of classes (reads it); set by the plugin.
  void (*data_shape)(const DataOptions& data, std::vector<int64_t>* shape, int* classes) = nullptr;
};
TorchHooks& torch_hooks();

// Plugin side: fills hooks->validate_design.
void register_design_validation(TorchHooks* hooks);
void register_build(CLI::App& app);
void register_train(CLI::App& app);
void register_isometry(CLI::App& app);
void register_sweep(CLI::App& app);
void register_score(CLI::App& app);
void register_export(CLI::App& app);

// The plugin's entry point: registers build, train, isometry and sweep and fills the hooks.
extern "C" void nnmass_register_torch_verbs(CLI::App* app, TorchHooks* hooks);
using RegisterTorchVerbs = void (*)(CLI::App*, TorchHooks*);
constexpr const char* kTorchVerbsSymbol = "nnmass_register_torch_verbs";
constexpr const char* kTorchVerbsLibrary = "libnnmass_torch_verbs.so";

}  // namespace nnmass::cli
