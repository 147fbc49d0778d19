// Fuzzes links files (links_from_json against a spec). Two modes, chosen by the first byte:
//  - below 0x80: the next bytes make a small dense spec (family, link pool, 1-3 cells of depth
//    3..10, width 1..8, t_c 0..19) and the rest is the text of a links file checked against it;
//  - 0x80 and above: the rest is one JSON object {"spec": <spec>, "links": <links>}, so the spec
//    varies too (as `nnmass build --spec s.json --links l.json` reads them).
// Links that read must write out (links_to_json) to JSON that reads back the same.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_support.h"
#include "nnmass/spec_json.h"

namespace {

using nnmass::fuzz::require;

// A small dense spec from the bytes at `data` (consumed from `*used`); missing bytes read as 0.
nnmass::Spec small_spec(const uint8_t* data, size_t size, size_t* used) {
  const auto next = [&]() -> int { return *used < size ? data[(*used)++] : 0; };
  nnmass::Spec spec;
  const int kind = next();
  spec.family = kind % 3 == 0 ? nnmass::Family::kMlp : kind % 3 == 1 ? nnmass::Family::kCnn
                                                                      : nnmass::Family::kDepthwiseCnn;
  spec.link_pool = (kind / 3) % 2 == 0 ? nnmass::LinkPool::kPaper : nnmass::LinkPool::kReference;
  spec.input = spec.family == nnmass::Family::kMlp ? std::vector<int64_t>{16} : std::vector<int64_t>{1, 8, 8};
  spec.classes = 2;
  const int cells = 1 + next() % 3;
  for (int c = 0; c < cells; ++c) {
    nnmass::Cell cell;
    cell.depth = 3 + next() % 8;
    cell.width = 1 + next() % 8;
    cell.tc = next() % 20;
    spec.cells.push_back(cell);
  }
  nnmass::validate(spec);
  return spec;
}

void check_round_trip(const nnmass::Links& links, const nnmass::Spec& spec) {
  const nlohmann::json out = nnmass::links_to_json(links);
  const nnmass::Links again = nnmass::links_from_json(nnmass::parse_json_text(out.dump(), "round trip"), spec);
  require(nnmass::links_to_json(again) == out, "links round trip differs: " + out.dump());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  nnmass::fuzz::run_expecting_errors_only([&] {
    if (data[0] < 0x80) {
      size_t used = 1;
      const nnmass::Spec spec = small_spec(data, size, &used);
      const std::string text(reinterpret_cast<const char*>(data + used), size - used);
      check_round_trip(nnmass::links_from_json(nnmass::parse_json_text(text, "links.json"), spec), spec);
    } else {
      const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
      const nlohmann::json j = nnmass::parse_json_text(text, "pair.json");
      if (!j.is_object()) return;
      const auto spec_it = j.find("spec"), links_it = j.find("links");
      if (spec_it == j.end() || links_it == j.end()) return;
      const nnmass::Spec spec = nnmass::spec_from_json(*spec_it);
      check_round_trip(nnmass::links_from_json(*links_it, spec), spec);
    }
  });
  return 0;
}
