// Shared architecture flags -> specs (grid expansion, per-family defaults, built-in examples).
#include "cli/spec_options.h"

#include <algorithm>
#include <sstream>

#include "cli/option_flags.h"
#include "nnmass/error.h"
#include "nnmass/examples.h"
#include "nnmass/file_io.h"
#include "nnmass/spec_json.h"

namespace nnmass::cli {
namespace {

[[noreturn]] void fail(const std::string& message) { throw SpecError(message); }

// --depth/--width/--tc: the models of one axis, each a list of per-cell values in [lo, hi].
std::vector<std::vector<int>> parse_axis(const std::string& text, const std::string& flag, const std::string& family,
                                         int64_t lo, int64_t hi) {
  if (text.empty()) fail(flag + " is required for family " + family + " (or give --spec FILE)");
  std::vector<std::vector<int>> models;
  for (const auto& model : split_list(text, ',')) {
    std::vector<int> cells;
    for (int64_t v : parse_int_list(model, ':', flag, lo, hi, 1000)) cells.push_back(static_cast<int>(v));
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

constexpr size_t kMaxGridModels = 100000;

std::vector<Spec> dense_specs(const SpecFlags& f, Spec base) {
  const std::string fam = to_string(base.family);
  const auto depths = parse_axis(f.depth, "--depth", fam, 3, kMaxDepth);
  const auto widths = parse_axis(f.width, "--width", fam, 1, kMaxWidth);
  const auto tcs = parse_axis(f.tc, "--tc", fam, 0, kMaxWidth * int64_t{kMaxDepth});
  if (depths.size() * widths.size() * tcs.size() > kMaxGridModels)
    fail("--depth x --width x --tc make more than " + std::to_string(kMaxGridModels) + " models; split the grid");
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

std::vector<int> int_list(const std::string& text, const std::string& flag, int64_t lo, int64_t hi) {
  std::vector<int> values;
  for (int64_t v : parse_int_list(text, ',', flag, lo, hi, 1000)) values.push_back(static_cast<int>(v));
  return values;
}

void apply_resnet_flags(const SpecFlags& f, const OptionTable& t, Spec& base) {
  const bool custom = f.arch.empty();
  if (custom || t.given("block")) base.resnet.block = parse_block(f.block, "--block");
  if (custom || t.given("layers")) {
    base.resnet.layers = int_list(f.layers, "--layers", 1, kMaxDepth);
    base.resnet.planes.clear();
    for (size_t s = 0; s < base.resnet.layers.size(); ++s) base.resnet.planes.push_back(64 << std::min<size_t>(s, 14));
  }
  if (t.given("stem")) base.resnet.stem = parse_stem(f.stem, "--stem");
  if (t.given("groups")) base.resnet.groups = f.groups;
  if (t.given("width-per-group")) base.resnet.width_per_group = f.width_per_group;
}

void apply_mobilenet_flags(const SpecFlags& f, const OptionTable& t, Spec& base) {
  if (t.given("width-mult")) base.mobilenet.width_mult = f.width_mult;
  if (t.given("block-repeats")) base.mobilenet.repeats = int_list(f.repeats, "--block-repeats", 0, kMaxDepth);
  if (t.given("stem")) base.mobilenet.stem = parse_stem(f.stem, "--stem");
}

// --cell: NAS-Bench-201 arch strings, comma-separated (they hold no commas), "all" (15,625), or
// @FILE with one arch string a line.
std::vector<Spec> nb201_specs(const SpecFlags& f, Spec base) {
  if (f.cell.empty()) fail("--cell is required for family nb201 (an arch string like " +
                           nb201_arch_string(nb201_best_cifar10_cell()) + ", a comma list, all, or @FILE)");
  std::vector<std::string> archs;
  if (f.cell == "all") {
    for (int i = 0; i < kNb201Cells; ++i) archs.push_back(nb201_arch_string(nb201_cell_at(i)));
  } else if (f.cell[0] == '@') {
    std::istringstream in(read_text_file(f.cell.substr(1)));
    for (std::string line; std::getline(in, line);) {
      while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
      if (!line.empty()) archs.push_back(line);
    }
    if (archs.empty()) fail("--cell " + f.cell + ": the file lists no arch string");
  } else {
    archs = split_list(f.cell, ',');
  }
  if (archs.size() > kMaxGridModels) fail("--cell lists more than " + std::to_string(kMaxGridModels) + " cells");
  base.nb201.channels = f.channels;
  base.nb201.cells_per_stage = f.cells_per_stage;
  std::vector<Spec> specs;
  for (const std::string& a : archs) {
    base.nb201.cell = parse_nb201_cell(a, "--cell");
    specs.push_back(base);
  }
  return specs;
}

// Shape flags, family-specific flags: only where they mean something.
void check_sources(const SpecFlags& f, const OptionTable& t) {
  const int sources = !f.spec_file.empty() + !f.example.empty() + !f.arch.empty() + !f.family.empty();
  if (sources == 0)
    fail("no architecture given: use --family (with --depth/--width/--tc), --arch NAME, "
         "--spec FILE or --example NAME");
  if (sources > 1) fail("give only one of --spec, --example, --arch, --family");
  if (f.spec_file.empty() && f.example.empty()) return;
  const std::string extra = given_architecture_flag(t, {"spec", "example"});
  if (!extra.empty()) fail("--" + extra + " cannot be combined with --spec or --example; edit the spec file instead");
}

constexpr const char* kArchitectureGroup = "Architecture";
constexpr const char* kResidualGroup = "ResNet / MobileNet-v2";
constexpr const char* kNb201Group = "NAS-Bench-201";

}  // namespace

std::string given_architecture_flag(const OptionTable& t, const std::vector<std::string>& except) {
  for (const Option& o : t.options())
    if ((o.group == kArchitectureGroup || o.group == kResidualGroup || o.group == kNb201Group) && t.given(o.name) &&
        std::find(except.begin(), except.end(), o.name) == except.end())
      return o.name;
  return "";
}

void add_spec_flags(OptionTable& t, SpecFlags* f) {
  t.group(kArchitectureGroup);
  t.add("spec", &f->spec_file, "Read the architecture from a JSON spec file");
  t.add("example", &f->example, "A built-in example", example_names());
  t.add("arch", &f->arch, "A standard layout", standard_arch_names());
  t.add("family", &f->family, "Architecture family", {"mlp", "cnn", "dwcnn", "resnet", "mobilenet_v2", "nb201"});
  t.add_list("depth", &f->depth, "Dense: layers per cell (d_c, 3 to 100000); ',' = models, ':' = cells")
      .families = {"mlp", "cnn", "dwcnn"};
  t.add_list("width", &f->width, "Dense: neurons/channels per layer (w_c); ',' and ':' as --depth")
      .families = {"mlp", "cnn", "dwcnn"};
  t.add_list("tc", &f->tc, "Dense: most long-range links per layer (t_c >= 0); ',' and ':' as --depth")
      .families = {"mlp", "cnn", "dwcnn"};
  t.add_list("input", &f->input,
             "Input shape, comma-separated [default: the data's; without data 784 for mlp, 3,32,32 for "
             "cnn/dwcnn/nb201, 3,224,224 otherwise]");
  t.add("classes", &f->classes, 1, kMaxWidth, "Classes [default: the data's; without data 10 dense and nb201, 1000 otherwise]");
  t.add("activation", &f->activation, "MLP activation", {"elu", "relu"}).families = {"mlp"};
  t.add("head", &f->head,
        "CNN head: global pool, or the official AvgPool(2)+flatten (the global pool hands the classifier only "
        "the last cell's width in features: slow to train on narrow CNNs)", {"gap", "reference"})
      .families = {"cnn", "dwcnn"};
  t.add("link-pool", &f->link_pool, "Link sources: paper (layers 0..i-2) or the official CNN's (1..i-1)",
        {"paper", "reference"}).families = {"mlp", "cnn", "dwcnn"};
  t.group(kResidualGroup);
  t.add("block", &f->block, "resnet block", {"basic", "bottleneck"}).families = {"resnet"};
  t.add_list("layers", &f->layers, "resnet: blocks per stage, comma-separated").families = {"resnet"};
  t.add("stem", &f->stem, "Stem: imagenet (resnet 7x7/2 + max-pool, mobilenet_v2 3x3/2) or cifar (resnet 3x3/1, "
        "mobilenet_v2 3x3/1), for small inputs", {"imagenet", "cifar"}).families = {"resnet", "mobilenet_v2"};
  t.add("groups", &f->groups, 1, kMaxWidth, "resnet: ResNeXt groups").families = {"resnet"};
  t.add("width-per-group", &f->width_per_group, 1, kMaxWidth, "resnet: 64 standard, 128 Wide-ResNet-x2")
      .families = {"resnet"};
  t.add("width-mult", &f->width_mult, 0.01, 64, "mobilenet_v2: width multiplier").families = {"mobilenet_v2"};
  t.add_list("block-repeats", &f->repeats, "mobilenet_v2: blocks per stage (7 stages)").families = {"mobilenet_v2"};
  t.group(kNb201Group);
  t.add_list("cell", &f->cell,
             "nb201: NAS-Bench-201 arch strings (|op~0|+|op~0|op~1|+|op~0|op~1|op~2|), comma-separated; all (the "
             "15,625 cells); or @FILE, one a line").families = {"nb201"};
  t.add("channels", &f->channels, 1, kMaxWidth / 4, "nb201: channels of the first stage (C)").families = {"nb201"};
  t.add("cells-per-stage", &f->cells_per_stage, 1, kMaxDepth, "nb201: cells per stage (N)").families = {"nb201"};
}

std::vector<Spec> specs_from_flags(const SpecFlags& f, const OptionTable& t) {
  check_sources(f, t);
  if (!f.spec_file.empty()) return {read_spec_file(f.spec_file)};
  if (!f.example.empty()) return {example_spec(f.example)};

  Spec base = f.arch.empty() ? Spec{} : standard_spec(f.arch);
  if (f.arch.empty()) base.family = parse_family(f.family, "--family");
  check_family_options(t, to_string(base.family));
  const bool dense = is_dense(base.family);
  if (f.arch.empty()) {
    const bool small = dense || base.family == Family::kNb201;  // NAS-Bench-201: CIFAR's 3x32x32, 10 classes
    base.input = base.family == Family::kMlp ? std::vector<int64_t>{784}
                 : small                      ? std::vector<int64_t>{3, 32, 32}
                                              : std::vector<int64_t>{3, 224, 224};
    base.classes = small ? 10 : 1000;
  }
  if (t.given("input")) base.input = parse_int_list(f.input, ',', "--input", 1, kMaxInputDim, 3);
  if (t.given("classes")) base.classes = f.classes;
  base.activation = parse_activation(f.activation, "--activation");
  base.head = parse_head(f.head, "--head");
  base.link_pool = parse_link_pool(f.link_pool, "--link-pool");

  std::vector<Spec> specs;
  if (dense) {
    specs = dense_specs(f, base);
  } else if (base.family == Family::kNb201) {
    specs = nb201_specs(f, base);
  } else {
    if (base.family == Family::kResNet) apply_resnet_flags(f, t, base);
    if (base.family == Family::kMobileNetV2) apply_mobilenet_flags(f, t, base);
    specs = {base};
  }
  for (const Spec& s : specs) validate(s);
  return specs;
}

}  // namespace nnmass::cli
