// See summary.h.
#include "nnmass/summary.h"

#include "nnmass/cost.h"
#include "nnmass/mass.h"
#include "nnmass/spec_json.h"

namespace nnmass {

nlohmann::json summary_json(const Spec& spec) {
  const Cost cost = count_cost(spec);
  nlohmann::json terms = nlohmann::json::array();
  for (const MassTerm& t : mass_terms(spec))
    terms.push_back({{"label", t.label}, {"volume", t.volume}, {"links", t.links},
                     {"possible", t.possible}, {"density", t.density}, {"mass", t.mass}});
  return {{"spec", spec_to_json(spec)},       {"nn_mass", nn_mass(spec)},
          {"average_density", average_density(spec)}, {"params", cost.params},
          {"macs", cost.macs},                {"flops", cost.flops},
          {"activations", cost.activations},  {"terms", terms}};
}

}  // namespace nnmass
