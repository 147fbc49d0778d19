// Shared architecture flags -> specs (grid expansion, per-family defaults, built-in examples).
#include "cli/spec_options.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include "nnmass/error.h"
#include "nnmass/spec_json.h"

namespace nnmass::cli {
namespace {

[[noreturn]] void fail(const std::string& message) { throw SpecError(message); }

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    const size_t end = text.find(sep, start);
    parts.push_back(text.substr(start, end - start));
    if (end == std::string::npos) return parts;
    start = end + 1;
  }
}

int64_t parse_integer(const std::string& text, const std::string& flag) {
  errno = 0;
  char* end = nullptr;
  const long long v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno == ERANGE)
    fail(flag + " must hold integers, got \"" + text + "\"");
  return v;
}

std::vector<int64_t> parse_list(const std::string& text, char sep, const std::string& flag) {
  std::vector<int64_t> values;
  for (const auto& part : split(text, sep)) values.push_back(parse_integer(part, flag));
  return values;
}

int to_int(int64_t v, const std::string& flag) {
  if (v < INT32_MIN || v > INT32_MAX) fail(flag + " value " + std::to_string(v) + " is out of range");
  return static_cast<int>(v);
}

// --depth/--width/--tc: the models of one axis, each a list of per-cell values.
std::vector<std::vector<int>> parse_axis(const std::string& text, const std::string& flag,
                                         const std::string& family) {
  if (text.empty()) fail(flag + " is required for family " + family + " (or give --spec FILE)");
  std::vector<std::vector<int>> models;
  for (const auto& model : split(text, ',')) {
    std::vector<int> cells;
    for (int64_t v : parse_list(model, ':', flag)) cells.push_back(to_int(v, flag));
    models.push_back(cells);
  }
  return models;
}

std::vector<Cell> make_cells(const std::vector<int>& d, const std::vector<int>& w,
                             const std::vector<int>& t) {
  const size_t n = std::max({d.size(), w.size(), t.size()});
  const auto check = [n](const std::vector<int>& v, const char* flag) {
    if (v.size() != 1 && v.size() != n)
      fail(std::string(flag) + " lists " + std::to_string(v.size()) + " cells, another flag " +
           std::to_string(n) + "; give one value or one per cell (colon-separated)");
  };
  check(d, "--depth");
  check(w, "--width");
  check(t, "--tc");
  std::vector<Cell> cells(n);
  for (size_t c = 0; c < n; ++c)
    cells[c] = {d[d.size() == 1 ? 0 : c], w[w.size() == 1 ? 0 : c], t[t.size() == 1 ? 0 : c]};
  return cells;
}

std::vector<Spec> dense_specs(const SpecFlags& f, Spec base) {
  const std::string fam = to_string(base.family);
  const auto depths = parse_axis(f.depth, "--depth", fam);
  const auto widths = parse_axis(f.width, "--width", fam);
  const auto tcs = parse_axis(f.tc, "--tc", fam);
  std::vector<Spec> specs;
  for (const auto& d : depths)
    for (const auto& w : widths)
      for (const auto& t : tcs) {
        Spec spec = base;
        spec.cells = make_cells(d, w, t);
        specs.push_back(spec);
      }
  return specs;
}

}  // namespace

void add_spec_flags(CLI::App* cmd, SpecFlags* f) {
  const std::string g = "Architecture";
  cmd->add_option("--spec", f->spec_file, "Read the architecture from a JSON spec file")
      ->group(g)->check(CLI::ExistingFile);
  cmd->add_option("--example", f->example,
                  "A built-in example: mnist_mlp, cifar_dwcnn (the official CIFAR default), cifar_cnn")
      ->group(g);
  cmd->add_option("--arch", f->arch,
                  "A standard layout: resnet18/34/50/101/152, wide_resnet50_2, wide_resnet101_2, "
                  "resnext50_32x4d, resnext101_32x8d, mobilenet_v2")->group(g);
  cmd->add_option("--family", f->family, "mlp | cnn | dwcnn (dense) | resnet | mobilenet_v2")->group(g);
  cmd->add_option("--depth", f->depth, "Dense: layers per cell (d_c); ',' = models, ':' = cells")->group(g);
  cmd->add_option("--width", f->width, "Dense: neurons/channels per layer (w_c); ',' and ':' as --depth")->group(g);
  cmd->add_option("--tc", f->tc, "Dense: most long-range links per layer (t_c); ',' and ':' as --depth")->group(g);
  cmd->add_option("--input", f->input,
                  "Input shape, comma-separated [default: 784 for mlp, 3,32,32 for cnn/dwcnn, "
                  "3,224,224 otherwise]")->group(g);
  cmd->add_option("--classes", f->classes, "Classes [default: 10 for dense, 1000 otherwise]")->group(g);
  cmd->add_option("--activation", f->activation, "MLP activation: elu | relu")->group(g)->capture_default_str();
  cmd->add_option("--head", f->head, "CNN head: gap (global pool) | reference (AvgPool(2)+flatten)")
      ->group(g)->capture_default_str();
  cmd->add_option("--link-pool", f->link_pool,
                  "Link sources: paper (layers 0..i-2) | reference (official CNN: 1..i-1)")
      ->group(g)->capture_default_str();
  const std::string r = "ResNet / MobileNet-v2";
  cmd->add_option("--block", f->block, "resnet: basic | bottleneck")->group(r)->capture_default_str();
  cmd->add_option("--layers", f->layers, "resnet: blocks per stage")->group(r)->capture_default_str();
  cmd->add_option("--stem", f->stem, "resnet: imagenet | cifar")->group(r)->capture_default_str();
  cmd->add_option("--groups", f->groups, "resnet: ResNeXt groups")->group(r)->capture_default_str();
  cmd->add_option("--width-per-group", f->width_per_group, "resnet: 64 standard, 128 Wide-ResNet-x2")
      ->group(r)->capture_default_str();
  cmd->add_option("--width-mult", f->width_mult, "mobilenet_v2: width multiplier")->group(r)->capture_default_str();
  cmd->add_option("--block-repeats", f->repeats, "mobilenet_v2: blocks per stage (7 stages)")
      ->group(r)->capture_default_str();
}

std::vector<std::string> example_names() { return {"mnist_mlp", "cifar_dwcnn", "cifar_cnn"}; }

Spec example_spec(const std::string& name) {
  Spec spec;
  if (name == "mnist_mlp") {  // the paper's MNIST MLP (§5.2): w 8, d 20, t_c 7 -> NN-Mass 14.737
    spec.name = name;
    spec.cells = {{20, 8, 7}};
    return spec;
  }
  if (name == "cifar_dwcnn" || name == "cifar_cnn") {  // train_cifar.py defaults (§1.3, §2.2)
    spec.name = name;
    spec.family = name == "cifar_dwcnn" ? Family::kDepthwiseCnn : Family::kCnn;
    spec.input = {3, 32, 32};
    spec.head = Head::kReference;
    spec.link_pool = LinkPool::kReference;
    spec.cells = {{13, 32, 40}, {13, 64, 80}, {13, 128, 125}};
    return spec;
  }
  std::string names;
  for (const std::string& n : example_names()) names += (names.empty() ? "" : ", ") + n;
  fail("--example must be one of " + names + ", got \"" + name + "\"");
}

std::vector<Spec> specs_from_flags(const SpecFlags& f, const CLI::App& cmd) {
  const int sources = !f.spec_file.empty() + !f.example.empty() + !f.arch.empty() + !f.family.empty();
  if (sources == 0)
    fail("no architecture given: use --family (with --depth/--width/--tc), --arch NAME, "
         "--spec FILE or --example NAME");
  if (sources > 1) fail("give only one of --spec, --example, --arch, --family");
  const bool shape_flags = !f.depth.empty() || !f.width.empty() || !f.tc.empty() ||
                           !f.input.empty() || cmd.count("--classes");
  if ((!f.spec_file.empty() || !f.example.empty()) && shape_flags)
    fail("--depth/--width/--tc/--input/--classes cannot be combined with --spec or --example; "
         "edit the spec file instead");
  if (!f.spec_file.empty()) return {read_spec_file(f.spec_file)};
  if (!f.example.empty()) return {example_spec(f.example)};

  Spec base = f.arch.empty() ? Spec{} : standard_spec(f.arch);
  if (f.arch.empty()) base.family = parse_family(f.family, "--family");
  const bool dense = is_dense(base.family);
  if (base.family == Family::kMlp) base.input = {784};
  if (base.family == Family::kCnn || base.family == Family::kDepthwiseCnn) base.input = {3, 32, 32};
  if (!dense && f.arch.empty()) base.input = {3, 224, 224};
  if (!f.input.empty()) base.input = parse_list(f.input, ',', "--input");
  if (f.arch.empty()) base.classes = dense ? 10 : 1000;
  if (cmd.count("--classes")) base.classes = f.classes;
  base.activation = parse_activation(f.activation, "--activation");
  base.head = parse_head(f.head, "--head");
  base.link_pool = parse_link_pool(f.link_pool, "--link-pool");

  if (!dense && (!f.depth.empty() || !f.width.empty() || !f.tc.empty()))
    fail("--depth/--width/--tc apply to the dense families (mlp, cnn, dwcnn), not " +
         to_string(base.family));
  std::vector<Spec> specs;
  if (dense) {
    specs = dense_specs(f, base);
  } else if (base.family == Family::kResNet) {
    if (f.arch.empty() || cmd.count("--block")) base.resnet.block = parse_block(f.block, "--block");
    if (f.arch.empty() || cmd.count("--layers")) {
      base.resnet.layers.clear();
      base.resnet.planes.clear();
      for (int64_t v : parse_list(f.layers, ',', "--layers")) {
        base.resnet.planes.push_back(64 << std::min<size_t>(base.resnet.layers.size(), 14));
        base.resnet.layers.push_back(to_int(v, "--layers"));
      }
    }
    if (cmd.count("--stem")) base.resnet.stem = parse_stem(f.stem, "--stem");
    if (cmd.count("--groups")) base.resnet.groups = f.groups;
    if (cmd.count("--width-per-group")) base.resnet.width_per_group = f.width_per_group;
    specs = {base};
  } else {
    if (cmd.count("--width-mult")) base.mobilenet.width_mult = f.width_mult;
    if (cmd.count("--block-repeats")) {
      base.mobilenet.repeats.clear();
      for (int64_t v : parse_list(f.repeats, ',', "--block-repeats"))
        base.mobilenet.repeats.push_back(to_int(v, "--block-repeats"));
    }
    specs = {base};
  }
  for (const Spec& s : specs) validate(s);
  return specs;
}

}  // namespace nnmass::cli
