// `nnmass build`: builds the libtorch module of one architecture, runs a forward pass on a dummy
// batch, prints its layer table (fan-in and links of each layer) and the closed-form and counted
// #params side by side; --save writes the model (weights + spec + links) to a file.
#include <iostream>

#include "cli/commands.h"
#include "cli/common_flags.h"
#include "cli/model_flags.h"
#include "cli/option_flags.h"
#include "cli/spec_options.h"
#include "nnmass/memory.h"
#include "nnmass/cost.h"
#include "nnmass/error.h"
#include "nnmass/mass.h"
#include "nnmass/nn/network.h"
#include "nnmass/spec_json.h"
#include "nnmass/file_io.h"
#include "nnmass/table.h"

namespace nnmass::cli {
namespace {

struct BuildOptions {
  OptionTable table;
  SpecFlags spec;
  std::string links_file;  // --links FILE: use these links instead of drawing them
  std::string init = "default";
  double sigma = 1.0;
  SeedFlags seed;
  int batch_size = 2;
  std::string save;        // --save PATH
  std::string links_out;   // --links-out PATH
  std::string load;        // --load PATH: inspect a saved model instead
  int threads = 0;
  bool json = false;
};

std::string shape_text(const torch::Tensor& t) {
  std::string text;
  for (int64_t d : t.sizes()) text += (text.empty() ? "" : ", ") + std::to_string(d);
  return "[" + text + "]";
}

// "0.3 0.5 1.2 ..." : (layer.channel) of the first few sources.
std::string links_text(const std::vector<LinkSource>& links) {
  constexpr size_t kShown = 6;
  std::string text;
  for (size_t k = 0; k < links.size() && k < kShown; ++k)
    text += (k ? " " : "") + std::to_string(links[k].layer) + "." + std::to_string(links[k].channel);
  if (links.size() > kShown) text += " ...";
  return text;
}

void print_layers(const NetworkImpl& network, bool dense) {
  std::vector<std::string> header = {"layer", "kind", "fan-in", "out", "stride", "params"};
  if (dense) header.insert(header.end(), {"links", "sources (layer.channel)"});
  Table table(header);
  for (const LayerInfo& row : network.layer_table()) {
    std::vector<std::string> cells = {row.name, row.kind, std::to_string(row.fan_in),
                                      std::to_string(row.out), std::to_string(row.stride),
                                      group_digits(row.params)};
    if (dense) cells.insert(cells.end(), {std::to_string(row.links.size()), links_text(row.links)});
    table.add_row(cells);
  }
  std::cout << table.render();
}

// The architecture (from the flags or the model file's header), checked and preflighted before
// anything is built or written.
ModelFlags model_flags(const BuildOptions& opt) { return {opt.load, opt.links_file, opt.init, opt.sigma, opt.seed.seed}; }

Spec checked_spec(const BuildOptions& opt) {
  const Spec spec = one_spec(opt.spec, opt.table, model_flags(opt), "build");
  if (!opt.links_out.empty() && !is_dense(spec.family)) throw SpecError("--links-out applies to the dense families only");
  if (!opt.save.empty()) check_output_file(opt.save, "--save");
  if (!opt.links_out.empty()) check_output_file(opt.links_out, "--links-out");
  check_memory(forward_bytes(spec, opt.batch_size), "building this network and a forward pass of --batch-size " +
                                                        std::to_string(opt.batch_size));
  return spec;
}

nlohmann::json to_json(const LoadedModel& model, const torch::Tensor& input, const torch::Tensor& output) {
  const Spec& spec = model.spec;
  const Cost cost = count_cost(spec);
  nlohmann::json layers = nlohmann::json::array();
  for (const LayerInfo& row : model.network->layer_table())
    layers.push_back({{"name", row.name}, {"kind", row.kind}, {"fan_in", row.fan_in}, {"out", row.out},
                      {"stride", row.stride}, {"params", row.params}, {"links", row.links.size()}});
  return {{"spec", spec_to_json(spec)}, {"init", to_string(model.init.kind)}, {"sigma", model.init.sigma},
          {"seed", model.init.seed}, {"nn_mass", nn_mass(spec)}, {"params", cost.params}, {"macs", cost.macs},
          {"flops", cost.flops}, {"counted_params", count_parameters(*model.network)},
          {"input_shape", input.sizes().vec()}, {"output_shape", output.sizes().vec()}, {"layers", layers}};
}

void run_build(const BuildOptions& opt) {
  const Spec spec_checked = checked_spec(opt);
  set_torch_threads(choose_threads(opt.threads, spec_checked, opt.batch_size));
  const LoadedModel model = model_from_flags(spec_checked, model_flags(opt));
  const Spec& spec = model.spec;
  const InitOptions& init = model.init;
  const std::optional<Links>& links = model.links;
  const Network& network = model.network;

  std::vector<int64_t> shape = {opt.batch_size};
  shape.insert(shape.end(), spec.input.begin(), spec.input.end());
  network->eval();  // BatchNorm on running statistics: a batch of one works too
  torch::NoGradGuard no_grad;
  const torch::Tensor input = torch::randn(shape);
  const torch::Tensor output = network->forward(input);

  const int64_t closed = count_cost(spec).params, counted = count_parameters(*network);
  if (opt.json) {
    std::cout << to_json(model, input, output).dump(2) << "\n";
  } else {
    std::cout << to_string(spec.family) << (spec.name.empty() ? "" : " " + spec.name) << ", init "
              << to_string(init.kind) << ", seed " << init.seed << "\n\n";
    print_layers(*network, is_dense(spec.family));
    std::cout << "\nforward     " << shape_text(input) << " -> " << shape_text(output)
              << "\nNN-Mass     " << fixed(nn_mass(spec), 3) << "\nparams      closed form "
              << group_digits(closed) << ", counted in the module " << group_digits(counted)
              << (closed == counted ? " (equal)" : " (DIFFERENT)") << "\n";
  }
  if (closed != counted) throw Error("internal error: closed-form and counted #params differ");
  if (!opt.links_out.empty() && links) {
    write_file_atomic(opt.links_out, links_to_json(*links).dump(1) + "\n");
    if (!opt.json) std::cout << "links       " << opt.links_out << "\n";
  }
  if (!opt.save.empty()) {
    save_model(opt.save, spec, links ? &*links : nullptr, init, *network);
    if (!opt.json) std::cout << "saved       " << opt.save << "\n";
  }
}

}  // namespace

void register_build(CLI::App& app) {
  auto opt = std::make_shared<BuildOptions>();
  CLI::App* cmd = app.add_subcommand(
      "build",
      "Build the libtorch network of one architecture and check it against the closed form.\n"
      "Builds it, runs a forward pass on a random batch,\n"
      "print each layer's fan-in and long-range links, and compare the closed-form #params\n"
      "with the module's.\n"
      "Examples:\n"
      "  nnmass build --family mlp --width 8 --depth 8 --tc 10\n"
      "  nnmass build --example cifar_dwcnn --save dwcnn.pt\n"
      "  nnmass build --load dwcnn.pt\n"
      "  nnmass build --arch resnet18 --classes 10 --input 3,32,32 --stem cifar");
  OptionTable& t = opt->table;
  add_spec_flags(t, &opt->spec);
  t.group("Build");
  add_seed_option(t, &opt->seed);
  add_init_options(t, &opt->init, &opt->sigma);
  t.add("links", &opt->links_file, "Use the links in this JSON file instead of drawing them").families = {"mlp", "cnn", "dwcnn"};
  t.add("batch-size", &opt->batch_size, 1, 1 << 20, "Samples in the test forward pass");
  add_threads_option(t, &opt->threads);
  t.add("load", &opt->load, "Inspect a saved model file instead of building one");
  t.group("Output");
  t.add("save", &opt->save, "Write the model to this file: runnable TorchScript (torch.jit.load) with its spec and links");
  t.add("links-out", &opt->links_out, "Write the links as JSON to this file");
  add_json_option(t, &opt->json);
  add_flags(cmd, t);
  cmd->callback([opt] { run_build(*opt); });
}

}  // namespace nnmass::cli
