// The network a verb works on, from its flags: a saved model (--load FILE), or the architecture
// built with --init / --sigma / --seed and, for the dense families, --links FILE (drawn from the
// seed otherwise). Shared by build and export.
#pragma once

#include <cstdint>
#include <string>

#include "nnmass/nn/network.h"

namespace nnmass::cli {

struct ModelFlags {
  std::string load;        // --load FILE
  std::string links_file;  // --links FILE
  std::string init = "default";
  double sigma = 1.0;
  uint64_t seed = 0;
};

LoadedModel model_from_flags(const Spec& spec, const ModelFlags& flags);

}  // namespace nnmass::cli
