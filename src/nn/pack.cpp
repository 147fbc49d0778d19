// Which networks are packed, and how; see pack.h.
#include "nnmass/nn/pack.h"

#include "nnmass/error.h"
#include "nnmass/memory.h"
#include "nnmass/nn/packed_dense_cnn.h"
#include "nnmass/nn/packed_mlp.h"

namespace nnmass {

std::string pack_key(const Spec& spec) {
  std::string key = to_string(spec.family) + "|in";
  for (int64_t d : spec.input) key += ":" + std::to_string(d);
  key += "|classes:" + std::to_string(spec.classes) + "|";
  if (spec.family == Family::kMlp)
    key += spec.activation == Activation::kElu ? "elu" : "relu";
  else
    key += spec.head == Head::kGap ? "gap" : "reference-head";
  key += "|cells";
  for (const Cell& c : spec.cells) key += ":" + std::to_string(c.depth) + "x" + std::to_string(c.width);
  return key;
}

int64_t checked_batch_size(const std::vector<PackBatch>& batches, int64_t models) {
  if (batches.empty()) throw SpecError("a pack step needs at least one batch");
  const int64_t size = batches.front().labels.size(0);
  int64_t covered = 0;
  for (const PackBatch& p : batches) {
    if (p.labels.size(0) != size || p.x.size(0) != size) throw SpecError("the batches of one pack step must have one size");
    covered += p.count;
  }
  if (covered != models) throw SpecError("the batches of a pack step must cover its models");
  return size;
}

bool packable(Family family) { return family == Family::kMlp || family == Family::kCnn; }

std::unique_ptr<Pack> make_pack(const std::vector<Network>& models) {
  if (models.empty()) throw SpecError("a pack needs at least one model");
  std::vector<const DenseMlpImpl*> mlps;
  std::vector<const DenseCnnImpl*> cnns;
  for (const Network& n : models) {
    if (const auto* m = dynamic_cast<const DenseMlpImpl*>(n.get())) mlps.push_back(m);
    if (const auto* c = dynamic_cast<const DenseCnnImpl*>(n.get())) cnns.push_back(c);
  }
  if (mlps.size() == models.size()) return std::make_unique<PackedMlp>(mlps);
  if (cnns.size() == models.size()) return std::make_unique<PackedDenseCnn>(cnns);
  throw SpecError("a pack holds dense MLPs or regular dense CNNs of one layer structure");
}

int64_t pack_bytes_per_model(const Spec& spec, int64_t batch) {
  if (spec.family == Family::kMlp) return PackedMlp::bytes_per_model(spec, batch);
  return training_bytes(spec, batch);  // the lone estimate: the pack holds the same tensors side by side
}

}  // namespace nnmass
