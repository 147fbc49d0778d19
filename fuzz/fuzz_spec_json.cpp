// Fuzzes spec files: the input is the text of a spec file, read as `nnmass mass --spec` reads it
// (parse_json_text, then spec_from_json). A spec that reads must write out (spec_to_json) to JSON
// that reads back to the same spec.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_support.h"
#include "nnmass/spec_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  nnmass::fuzz::run_expecting_errors_only([&] {
    const nnmass::Spec spec = nnmass::spec_from_json(nnmass::parse_json_text(text, "fuzz.json"));
    const nlohmann::json out = nnmass::spec_to_json(spec);
    const nnmass::Spec again = nnmass::spec_from_json(nnmass::parse_json_text(out.dump(2), "round trip"));
    nnmass::fuzz::require(nnmass::spec_to_json(again) == out, "spec round trip differs: " + out.dump());
  });
  return 0;
}
