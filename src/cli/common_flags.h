// Flags that mean one thing in every verb: --seed / --repeats / --seeds, --threads, --json, and
// the preflight of output paths.
//   --seed S      the first (or only) seed: links, weights, shuffling, augmentation
//   --repeats N   N seeds S, S+1, ..., S+N-1 (verbs that run several seeds)
//   --seeds LIST  an explicit comma-separated list instead of --seed/--repeats
//   --threads T   torch threads; 0: automatic (one for small models, else one per core)
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nnmass/options.h"

namespace nnmass::cli {

struct SeedFlags {
  uint64_t seed = 0;
  int repeats = 1;
  std::string seeds;  // "" : seed..seed+repeats-1
};

// --seed only (build, train).
void add_seed_option(OptionTable& table, SeedFlags* flags);
// --seed, --repeats and --seeds (isometry, sweep, design --validate); `repeats` is the default.
void add_seed_options(OptionTable& table, SeedFlags* flags, int repeats);
// The seeds the flags name; SpecError if --seeds is combined with --seed/--repeats or malformed.
std::vector<uint64_t> seeds_from_flags(const SeedFlags& flags, const OptionTable& table);

void add_threads_option(OptionTable& table, int* threads);
void add_json_option(OptionTable& table, bool* json);

// Preflight of an output path given by `flag`: its folder is created if missing and must accept
// a new file. Called before any long work, so a run never ends in "cannot write".
void check_output_file(const std::string& path, const std::string& flag);
void check_output_dir(const std::string& dir, const std::string& flag);

}  // namespace nnmass::cli
