// The closed-form summary of one architecture as JSON: what `nnmass mass --json` prints and the
// Python module's summary() returns (spec, NN-Mass, average density, params, MACs, FLOPs,
// activations, and the mass terms of each cell or block).
#pragma once

#include <nlohmann/json.hpp>

#include "nnmass/spec.h"

namespace nnmass {

nlohmann::json summary_json(const Spec& spec);

}  // namespace nnmass
