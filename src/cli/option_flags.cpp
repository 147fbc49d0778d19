// OptionTable -> CLI11 flags; see option_flags.h.
#include "cli/option_flags.h"

#include <algorithm>

#include "nnmass/error.h"
#include "nnmass/file_io.h"
#include "nnmass/spec_json.h"

namespace nnmass::cli {
namespace {

const char* type_name(OptionKind kind) {
  switch (kind) {
    case OptionKind::kInt: return "INT";
    case OptionKind::kReal: return "NUM";
    case OptionKind::kList: return "LIST";
    default: return "TEXT";
  }
}

std::string describe(const Option& o) {
  std::string text = o.help;
  if (!o.allowed.empty() && o.kind != OptionKind::kText) text += " (" + o.allowed + ")";
  if (!o.allowed.empty() && o.kind == OptionKind::kText) text += ": " + o.allowed;
  if (!o.default_text.empty() && o.help.find("[default") == std::string::npos)
    text += " [default: " + o.default_text + "]";
  return text;
}

}  // namespace

void add_flags(CLI::App* cmd, const OptionTable& table) {
  for (const Option& o : table.options()) {
    const std::string flag = "--" + o.name;
    const auto set = o.set;
    CLI::Option* added = nullptr;
    if (o.kind == OptionKind::kFlag) {
      added = cmd->add_flag_function(flag, [set, flag](int64_t) { set("true", flag); }, describe(o));
    } else {
      added = cmd->add_option_function<std::string>(
          flag, [set, flag](const std::string& text) { set(text, flag); }, describe(o));
      added->type_name(type_name(o.kind));
    }
    added->group(o.group);
  }
}

void check_family_options(const OptionTable& table, const std::string& family) {
  for (const Option& o : table.options()) {
    if (o.families.empty() || !table.given(o.name)) continue;
    if (std::find(o.families.begin(), o.families.end(), family) != o.families.end()) continue;
    std::string list;
    for (const auto& f : o.families) list += (list.empty() ? "" : ", ") + f;
    throw SpecError("--" + o.name + " applies to " + list + ", not to family " + family);
  }
}

}  // namespace nnmass::cli
