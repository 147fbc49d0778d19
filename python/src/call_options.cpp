// The Python functions' keywords through the library's option tables; see call_options.h.
#include "call_options.h"

#include <nlohmann/json.hpp>

#include "nnmass/error.h"
#include "nnmass/spec_json.h"

namespace nnmass::python {

void apply_keywords(const OptionTable& table, const std::string& keywords_json, const std::string& function) {
  table.clear_given();
  if (keywords_json.empty()) return;
  table.apply_json(parse_json_text(keywords_json, function + " keywords"), function);
}

std::vector<Spec> call_specs(const std::string& spec_json, const cli::SpecFlags& flags, const OptionTable& table,
                             const std::string& function) {
  if (spec_json.empty()) return cli::specs_from_flags(flags, table);
  if (const std::string flag = cli::given_architecture_flag(table); !flag.empty())
    throw SpecError(function + ": the keyword " + json_key(flag) +
                    " cannot be combined with a spec dict; put it in the dict instead");
  return {spec_from_json(parse_json_text(spec_json, function + " spec"))};
}

Spec call_spec(const std::string& spec_json, const cli::SpecFlags& flags, const OptionTable& table,
               const std::string& function) {
  const std::vector<Spec> specs = call_specs(spec_json, flags, table, function);
  if (specs.size() != 1)
    throw SpecError(function + ": the keywords describe " + std::to_string(specs.size()) +
                    " models (a grid); pass one, or list them with nnmass.specs()");
  return specs.front();
}

SpecCall::SpecCall() { cli::add_spec_flags(table, &spec); }

LinksCall::LinksCall() {
  cli::add_spec_flags(table, &spec);
  table.group("Links");
  cli::add_seed_option(table, &seed);
}

BuildCall::BuildCall() {
  cli::add_spec_flags(table, &spec);
  table.group("Network");
  cli::add_seed_option(table, &seed);
  add_init_options(table, &init, &sigma);
}

// The options of `nnmass isometry` that apply to one seed.
IsometryCall::IsometryCall() {
  OptionTable& t = table;
  cli::add_spec_flags(t, &spec);
  t.group("Isometry");
  t.add("data", &data.source,
        "Data set whose test images are the inputs, a folder or a name like the CLI's --data, or a numpy array "
        "[N, ...] of inputs [default: Fashion-MNIST]");
  cli::add_isometry_flags(t, this);
  add_init_options(t, &init, &sigma);
  cli::add_seed_option(t, &seed);
  cli::add_threads_option(t, &threads);
}

// The options of `nnmass score` that apply to one seed.
ScoreCall::ScoreCall() {
  OptionTable& t = table;
  cli::add_spec_flags(t, &spec);
  t.group("Data");
  t.add("data", &data.source,
        "A folder with MNIST-format IDX files or CIFAR-10/100 binary files, linear | circle, or a pair of numpy "
        "arrays (inputs [N, ...], labels [N]) [default: Fashion-MNIST for a spec, none for nb201 and torch models]");
  t.add_flag("no-data", &no_data, "Score without a data set: data-free proxies only");
  t.group("Proxies");
  cli::add_proxy_flags(t, &proxies, this);
  t.group("Network");
  cli::add_seed_option(t, &seed);
  add_init_options(t, &init, &sigma);
  cli::add_threads_option(t, &threads);
}

SummarizeCall::SummarizeCall() {
  table.add_list("input", &input, "Shape of one sample, e.g. [3, 224, 224] (without the batch dimension)");
  cli::add_threads_option(table, &threads);
}

namespace {

const char* kind_name(OptionKind kind) {
  switch (kind) {
    case OptionKind::kInt: return "int";
    case OptionKind::kReal: return "float";
    case OptionKind::kText: return "str";
    case OptionKind::kList: return "list";
    case OptionKind::kFlag: return "bool";
  }
  return "";
}

nlohmann::json describe(const OptionTable& table) {
  nlohmann::json out = nlohmann::json::array();
  for (const Option& o : table.options())
    out.push_back({{"name", json_key(o.name)}, {"kind", kind_name(o.kind)}, {"group", o.group},
                   {"allowed", o.allowed}, {"default", o.default_text}, {"help", o.help},
                   {"families", o.families}});
  return out;
}

}  // namespace

std::string options_json(const std::string& call) {
  if (call == "spec") return describe(SpecCall().table).dump();
  if (call == "links") return describe(LinksCall().table).dump();
  if (call == "build") return describe(BuildCall().table).dump();
  if (call == "isometry") return describe(IsometryCall().table).dump();
  if (call == "score") return describe(ScoreCall().table).dump();
  if (call == "summarize") return describe(SummarizeCall().table).dump();
  throw SpecError("no call named " + call);
}

}  // namespace nnmass::python
