// The networks as libtorch modules, built from a spec (and, for the dense families, its links).
// One builder serves every family; every network answers `forward` and describes its layers.
// Method spec §2; design.md "Decisions already taken" (BN in training mode, heads, init).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "nnmass/links.h"
#include "nnmass/nn/torchscript_export.h"
#include "nnmass/spec.h"

namespace nnmass {

enum class InitKind {
  kDefault,     // libtorch's own: Kaiming-uniform (a = sqrt(5)) weights, uniform biases
  kGaussian,    // weights ~ N(0, sigma^2), biases 0 (the LDI theory's setting, §3.3)
  kOrthogonal,  // orthogonal weights scaled by sigma (gain), biases 0
};
std::string to_string(InitKind kind);
InitKind parse_init(const std::string& text, const std::string& field = "init");

struct InitOptions {
  InitKind kind = InitKind::kDefault;
  double sigma = 1.0;  // gaussian: standard deviation; orthogonal: gain
  uint64_t seed = 0;   // seeds torch's generator before building: same seed, same weights
};

// One row of a network's layer table.
struct LayerInfo {
  std::string name;       // module path: "cell0.layer3", "layer2.0", "features.4"
  std::string kind;       // linear, conv3x3, conv_depth, basic, bottleneck, inverted, ...
  int64_t fan_in = 0;     // input features / channels (w + t_i for a dense layer)
  int64_t out = 0;        // output features / channels
  int stride = 1;
  std::vector<LinkSource> links;  // long-range inputs concatenated (dense layers)
  int64_t params = 0;     // parameters of the layer with its norms
};

// The layer-table row of a classifier head.
LayerInfo head_row(const std::string& name, const std::string& kind, const torch::nn::Linear& linear);

// One layer of a network as a map, traced at a batch: what layer-wise Jacobians differentiate.
// `input` is the layer's input during the traced forward pass and `apply` the layer's forward from
// such an input to its output, BatchNorm and activations included as the network applies them
// (with BatchNorm in eval mode each sample's output depends on that sample alone).
struct LayerMap {
  std::string name;  // as in layer_table(): "cell0.layer3", "layer2.0", "features.4"
  torch::Tensor input;
  std::function<torch::Tensor(const torch::Tensor&)> apply;
};

// Common interface of every family's module.
class NetworkImpl : public torch::nn::Module, public ScriptSource {
 public:
  // x: [batch, input...] -> logits [batch, classes].
  virtual torch::Tensor forward(torch::Tensor x) = 0;
  virtual std::vector<LayerInfo> layer_table() const = 0;
  // The convolutional layers (dense CNNs: each conv layer; ResNets and MobileNet-v2: the stem and
  // each block, skip included) traced at x, in the order of the forward pass. The classifier head
  // is not among them. Families without convolutions throw SpecError.
  virtual std::vector<LayerMap> layer_maps(const torch::Tensor& x);
};
using Network = std::shared_ptr<NetworkImpl>;

// Validates spec and links (SpecError before any tensor is allocated), seeds torch, builds and
// initialises. Dense families take `links`; if null they are drawn from init.seed.
Network build_network(const Spec& spec, const Links* links, const InitOptions& init);

// Sets torch's intra-op threads (and so OpenBLAS's, whose OpenMP build shares torch's pool);
// threads <= 0 means one per hardware core. Returns the number set.
int set_torch_threads(int threads);

// Parameters of a module, every weight, bias and BatchNorm affine parameter.
int64_t count_parameters(const torch::nn::Module& module);

// A model file is a runnable TorchScript module (torch.jit.load(path)(x) in Python runs the
// network) that also holds the spec, the links and the init that built it, as string attributes
// nnmass_spec, nnmass_links, nnmass_init, so a trained model is rebuilt exactly. Writing is atomic.
// Files of format version 1 (weights only, nnmass 0.1 before the export) still load.
struct LoadedModel {
  Spec spec;
  std::optional<Links> links;
  InitOptions init;
  Network network;
};
void save_model(const std::string& path, const Spec& spec, const Links* links,
                const InitOptions& init, NetworkImpl& network);
// The bytes save_model writes (for a Python caller: torch.jit.load(io.BytesIO(bytes))).
std::string model_bytes(const Spec& spec, const Links* links, const InitOptions& init, NetworkImpl& network);
LoadedModel load_model(const std::string& path);
// Only the spec of a model file (to check it, or estimate memory, before building the model).
Spec read_model_spec(const std::string& path);

}  // namespace nnmass
