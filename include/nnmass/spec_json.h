// JSON form of specs and links. Reading is strict: a missing field, a wrong type, an unknown field
// or an impossible value is a SpecError naming the field (`cells[1].depth must be ...`).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "nnmass/links.h"
#include "nnmass/spec.h"

namespace nnmass {

constexpr int kSpecFormatVersion = 1;
constexpr int kLinksFormatVersion = 1;
// Spec, links and grid files larger than this are refused before they are read.
constexpr int64_t kMaxJsonFileBytes = int64_t{64} << 20;

nlohmann::json spec_to_json(const Spec& spec);
// Parses and validates. `arch` may name a standard layout whose fields the others override.
Spec spec_from_json(const nlohmann::json& j);

// Reads a spec file; errors are prefixed with the path.
Spec read_spec_file(const std::string& path);

nlohmann::json links_to_json(const Links& links);
// Parses and checks the links against the spec.
Links links_from_json(const nlohmann::json& j, const Spec& spec);

// Parses text as JSON; a syntax error becomes a one-line IoError naming `what` and the position,
// and so do nesting deeper than 64 levels and a key given twice in one object (every JSON file
// nnmass reads goes through here).
nlohmann::json parse_json_text(const std::string& text, const std::string& what);

}  // namespace nnmass
