// The keyword arguments of the Python module's functions, read through the library's option tables
// exactly as the command line reads the same verb's flags: a keyword is the flag's JSON key
// (`width_mult` for --width-mult), checked by the same setter, so `nnmass.mass(depth=2)` fails as
// `nnmass mass --depth 2` does. The architecture keywords come from cli/spec_options.h; seed, init,
// sigma, threads and data from the shared declarations. Torch-free.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cli/common_flags.h"
#include "cli/measure_flags.h"
#include "cli/spec_options.h"
#include "nnmass/options.h"
#include "nnmass/recipe.h"
#include "nnmass/spec.h"

namespace nnmass::python {

// Applies a JSON object of keywords to `table`; `function` ("mass()") prefixes the errors
// ("mass(): depth must be ...", "mass(): unknown field ...").
void apply_keywords(const OptionTable& table, const std::string& keywords_json, const std::string& function);

// The specs a call describes: the spec dict `spec_json` ("" if none), or the architecture keywords
// (a grid where they list several models). SpecError if both or neither are given.
std::vector<Spec> call_specs(const std::string& spec_json, const cli::SpecFlags& flags, const OptionTable& table,
                             const std::string& function);
// Exactly one spec; SpecError if the keywords describe a grid.
Spec call_spec(const std::string& spec_json, const cli::SpecFlags& flags, const OptionTable& table,
               const std::string& function);

// mass(), density(), cost(), summary(), spec(), specs(): the architecture only.
struct SpecCall {
  OptionTable table;
  cli::SpecFlags spec;
  SpecCall();
  SpecCall(const SpecCall&) = delete;  // the table points into this object
};

// links(): an architecture and the seed of its links.
struct LinksCall {
  OptionTable table;
  cli::SpecFlags spec;
  cli::SeedFlags seed;
  LinksCall();
  LinksCall(const LinksCall&) = delete;
};

// build(): an architecture, its seed and init.
struct BuildCall {
  OptionTable table;
  cli::SpecFlags spec;
  cli::SeedFlags seed;
  std::string init = "default";
  double sigma = 1.0;
  BuildCall();
  BuildCall(const BuildCall&) = delete;
};

// isometry(): the options of `nnmass isometry` for one seed, with its defaults (the measurement's
// own ones declared by cli/measure_flags.h, as for the command line).
struct IsometryCall : cli::IsometryFlags {
  OptionTable table;
  cli::SpecFlags spec;
  DataOptions data;
  std::string init = "default";
  double sigma = 1.0;
  cli::SeedFlags seed;
  int threads = 0;
  IsometryCall();
  IsometryCall(const IsometryCall&) = delete;
};

// score(): the options of `nnmass score` for one seed.
struct ScoreCall : cli::ProxyFlags {
  OptionTable table;
  cli::SpecFlags spec;
  DataOptions data;
  bool no_data = false;
  std::string proxies = "auto";
  cli::SeedFlags seed;
  std::string init = "default";
  double sigma = 1.0;
  int threads = 0;
  ScoreCall();
  ScoreCall(const ScoreCall&) = delete;
};

// summarize(): the sample shape of a TorchScript model.
struct SummarizeCall {
  OptionTable table;
  std::string input;
  int threads = 0;
  SummarizeCall();
  SummarizeCall(const SummarizeCall&) = delete;
};

// The options of a call as JSON, for docstrings: [{name, kind, group, allowed, default, help}].
// `call` is one of spec, links, build, isometry, score, summarize.
std::string options_json(const std::string& call);

}  // namespace nnmass::python
