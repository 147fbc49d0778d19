// The network a verb works on, from its flags: a saved model (--load FILE), or the architecture
// built with --init / --sigma / --seed and, for the dense families, --links FILE (drawn from the
// seed otherwise). Shared by build and export.
#pragma once

#include <cstdint>
#include <string>

#include "cli/spec_options.h"
#include "nnmass/nn/network.h"
#include "nnmass/options.h"

namespace nnmass::cli {

struct ModelFlags {
  std::string load;        // --load FILE
  std::string links_file;  // --links FILE
  std::string init = "default";
  double sigma = 1.0;
  uint64_t seed = 0;
};

// The one architecture `verb` works on, before anything is built: the model file's header with
// --load (which then takes no architecture flag and no --links), else the flags' single model.
Spec one_spec(const SpecFlags& spec, const OptionTable& table, const ModelFlags& flags, const std::string& verb);

LoadedModel model_from_flags(const Spec& spec, const ModelFlags& flags);

}  // namespace nnmass::cli
