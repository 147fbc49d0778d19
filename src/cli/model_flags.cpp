// See model_flags.h.
#include "cli/model_flags.h"

#include "nnmass/error.h"
#include "nnmass/file_io.h"
#include "nnmass/spec_json.h"

namespace nnmass::cli {

Spec one_spec(const SpecFlags& spec, const OptionTable& table, const ModelFlags& f, const std::string& verb) {
  if (!f.load.empty()) {
    if (const std::string flag = given_architecture_flag(table); !flag.empty())
      throw SpecError("--load takes the architecture from the model file; drop --" + flag);
    if (!f.links_file.empty()) throw SpecError("--load takes the links from the model file; drop --links");
    return read_model_spec(f.load);
  }
  const std::vector<Spec> specs = specs_from_flags(spec, table);
  if (specs.size() != 1)
    throw SpecError(verb + " takes one architecture, the flags describe " + std::to_string(specs.size()) +
                    "; give single values (':' separates cells)");
  return specs.front();
}

LoadedModel model_from_flags(const Spec& spec, const ModelFlags& f) {
  if (!f.load.empty()) return load_model(f.load);
  LoadedModel model;
  model.spec = spec;
  model.init = {parse_init(f.init, "--init"), f.sigma, f.seed};
  if (!f.links_file.empty()) {
    if (!is_dense(spec.family)) throw SpecError("--links applies to the dense families only");
    model.links = links_from_json(parse_json_text(read_text_file(f.links_file, kMaxJsonFileBytes), f.links_file), spec);
  } else if (is_dense(spec.family)) {
    model.links = draw_links(spec, f.seed);
  }
  model.network = build_network(spec, model.links ? &*model.links : nullptr, model.init);
  return model;
}

}  // namespace nnmass::cli
