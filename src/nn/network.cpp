// The builder (spec + links -> module), weight initialisation, and model files.
#include "nnmass/nn/network.h"

#include <cmath>
#include <filesystem>
#include <sstream>
#include <thread>

#include "nn/archive_io.h"
#include "nnmass/error.h"
#include "nnmass/file_io.h"
#include "nnmass/nn/dense_cnn.h"
#include "nnmass/nn/dense_mlp.h"
#include "nnmass/nn/mobilenet_v2.h"
#include "nnmass/nn/nb201.h"
#include "nnmass/nn/resnet.h"
#include "nnmass/spec_json.h"

namespace nnmass {
namespace {

constexpr const char* kModelFormat = "nnmass-model";
// Version 2: a runnable TorchScript module. Version 1 held the same weights under the same names in
// a plain archive, so both load the same way.
constexpr int64_t kModelFormatVersion = 2;
constexpr int64_t kOldestReadableVersion = 1;

void initialise(torch::nn::Module& network, const InitOptions& init) {
  if (init.kind == InitKind::kDefault) return;  // the modules' own initialisation stands
  torch::NoGradGuard no_grad;
  network.apply([&](torch::nn::Module& m) {
    torch::Tensor weight, bias;
    if (auto* linear = m.as<torch::nn::Linear>()) {
      weight = linear->weight;
      bias = linear->bias;
    } else if (auto* conv = m.as<torch::nn::Conv2d>()) {
      weight = conv->weight;
      bias = conv->bias;
    } else {
      return;  // BatchNorm keeps weight 1, bias 0
    }
    if (init.kind == InitKind::kGaussian)
      weight.normal_(0.0, init.sigma);
    else
      torch::nn::init::orthogonal_(weight, init.sigma);
    if (bias.defined()) bias.zero_();
  });
}

nlohmann::json init_to_json(const InitOptions& init) {
  return {{"kind", to_string(init.kind)}, {"sigma", init.sigma}, {"seed", init.seed}};
}

InitOptions init_from_json(const nlohmann::json& j) {
  InitOptions init;
  init.kind = parse_init(j.at("kind").get<std::string>());
  init.sigma = j.at("sigma").get<double>();
  init.seed = j.at("seed").get<uint64_t>();
  return init;
}

std::string read_string(torch::serialize::InputArchive& archive, const char* key, const std::string& path) {
  return detail::read_archive_string(archive, key, path, "an nnmass model file",
                                     "; save it with nnmass build --save or nnmass train");
}

}  // namespace

std::vector<LayerMap> NetworkImpl::layer_maps(const torch::Tensor&) {
  throw SpecError("layer maps (convolutional layer Jacobians) are defined for cnn, dwcnn, resnet and "
                  "mobilenet_v2 networks only");
}

std::string to_string(InitKind kind) {
  switch (kind) {
    case InitKind::kDefault: return "default";
    case InitKind::kGaussian: return "gaussian";
    case InitKind::kOrthogonal: return "orthogonal";
  }
  return "?";
}

InitKind parse_init(const std::string& text, const std::string& field) {
  if (text == "default") return InitKind::kDefault;
  if (text == "gaussian") return InitKind::kGaussian;
  if (text == "orthogonal") return InitKind::kOrthogonal;
  throw SpecError(field + " must be one of default, gaussian, orthogonal, got \"" + text + "\"");
}

Network build_network(const Spec& spec, const Links* links, const InitOptions& init) {
  validate(spec);
  if (!(std::isfinite(init.sigma) && init.sigma > 0))
    throw SpecError("sigma must be a positive number, got " + std::to_string(init.sigma));
  std::optional<Links> drawn;
  if (is_dense(spec.family)) {
    if (links)
      check_links(spec, *links);
    else
      links = &drawn.emplace(draw_links(spec, init.seed));
  }
  torch::manual_seed(init.seed);
  Network network;
  switch (spec.family) {
    case Family::kMlp: network = std::make_shared<DenseMlpImpl>(spec, *links); break;
    case Family::kCnn:
    case Family::kDepthwiseCnn: network = std::make_shared<DenseCnnImpl>(spec, *links); break;
    case Family::kResNet: network = std::make_shared<ResNetImpl>(spec); break;
    case Family::kMobileNetV2: network = std::make_shared<MobileNetV2Impl>(spec); break;
    case Family::kNb201: network = std::make_shared<Nb201NetworkImpl>(spec); break;
  }
  initialise(*network, init);
  return network;
}

LayerInfo head_row(const std::string& name, const std::string& kind, const torch::nn::Linear& linear) {
  LayerInfo row;
  row.name = name;
  row.kind = kind;
  row.fan_in = linear->options.in_features();
  row.out = linear->options.out_features();
  row.params = count_parameters(*linear);
  return row;
}

int set_torch_threads(int threads) {
  if (threads <= 0) threads = std::max(1u, std::thread::hardware_concurrency());
  torch::set_num_threads(threads);
  return threads;
}

int64_t count_parameters(const torch::nn::Module& module) {
  int64_t total = 0;
  for (const auto& p : module.parameters()) total += p.numel();
  return total;
}

std::string model_bytes(const Spec& spec, const Links* links, const InitOptions& init, NetworkImpl& network) {
  torch::jit::Module module = to_torchscript(network);
  const auto text = [&](const char* key, const std::string& value) {
    module.register_attribute(key, c10::StringType::get(), c10::IValue(value));
  };
  text("nnmass_format", kModelFormat);
  module.register_attribute("nnmass_format_version", c10::IntType::get(), c10::IValue(kModelFormatVersion));
  text("nnmass_tool_version", NNMASS_VERSION);
  text("nnmass_spec", spec_to_json(spec).dump());
  text("nnmass_links", links ? links_to_json(*links).dump() : std::string());
  text("nnmass_init", init_to_json(init).dump());
  std::ostringstream bytes;
  module.save(bytes);
  return bytes.str();
}

void save_model(const std::string& path, const Spec& spec, const Links* links,
                const InitOptions& init, NetworkImpl& network) {
  write_file_atomic(path, model_bytes(spec, links, init, network));
}

namespace {

// Opens a model file and checks its format and version; IoError naming the file otherwise.
void open_model_archive(const std::string& path, torch::serialize::InputArchive& archive) {
  if (!std::filesystem::is_regular_file(path)) throw IoError("cannot read " + path + ": no such file");
  try {
    archive.load_from(path);
  } catch (const c10::Error& e) {
    throw IoError(path + ": not a readable model file (" + detail::first_line(e) + ")");
  }
  if (read_string(archive, "nnmass_format", path) != kModelFormat)
    throw IoError(path + ": not an nnmass model file");
  c10::IValue version;
  if (!archive.try_read("nnmass_format_version", version) || !version.isInt() ||
      version.toInt() < kOldestReadableVersion || version.toInt() > kModelFormatVersion)
    throw IoError(path + ": model format version " + (version.isInt() ? std::to_string(version.toInt()) : "?") +
                  ", this nnmass reads versions " + std::to_string(kOldestReadableVersion) + " to " +
                  std::to_string(kModelFormatVersion) +
                  "; rebuild the model with this version");
}

Spec archive_spec(torch::serialize::InputArchive& archive, const std::string& path) {
  return spec_from_json(parse_json_text(read_string(archive, "nnmass_spec", path), path));
}

}  // namespace

Spec read_model_spec(const std::string& path) {
  torch::serialize::InputArchive archive;
  open_model_archive(path, archive);
  return archive_spec(archive, path);
}

LoadedModel load_model(const std::string& path) {
  torch::serialize::InputArchive archive;
  open_model_archive(path, archive);
  LoadedModel model;
  model.spec = archive_spec(archive, path);
  const std::string links = read_string(archive, "nnmass_links", path);
  if (!links.empty()) model.links = links_from_json(parse_json_text(links, path), model.spec);
  try {
    model.init = init_from_json(parse_json_text(read_string(archive, "nnmass_init", path), path));
  } catch (const nlohmann::json::exception&) {
    throw IoError(path + ": the model's init record is corrupt");
  } catch (const SpecError& e) {
    throw IoError(path + ": the model's init record is corrupt (" + e.what() + ")");
  }
  model.network = build_network(model.spec, model.links ? &*model.links : nullptr, model.init);
  try {
    model.network->load(archive);
  } catch (const c10::Error& e) {
    throw IoError(path + ": weights do not fit the saved spec (" + detail::first_line(e) + ")");
  }
  return model;
}

}  // namespace nnmass
