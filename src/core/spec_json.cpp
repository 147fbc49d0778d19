// Strict JSON reading and writing of specs and links. Every error names the field (JSON path)
// and what was expected, so `nnmass mass --spec f.json` can print it on one line.
#include "nnmass/spec_json.h"

#include <algorithm>
#include <climits>
#include <cstddef>
#include <iterator>
#include <set>
#include <vector>

#include "nnmass/error.h"
#include "nnmass/file_io.h"

namespace nnmass {
namespace {

using nlohmann::json;

constexpr const char* kSpecFormat = "nnmass-spec";
constexpr const char* kLinksFormat = "nnmass-links";

[[noreturn]] void fail(const std::string& message) { throw SpecError(message); }

// Short rendering of a JSON value for messages.
std::string show(const json& v) {
  std::string s = v.dump();
  if (s.size() > 40) s = s.substr(0, 37) + "...";
  return s;
}

std::string type_name(const json& v) {
  if (v.is_number_integer()) return "an integer";
  if (v.is_number()) return "a number";
  if (v.is_array() || v.is_object()) return std::string("an ") + v.type_name();
  return std::string("a ") + v.type_name();
}

const json& require(const json& j, const char* key, const std::string& path) {
  auto it = j.find(key);
  if (it == j.end()) fail("missing field " + path + key);
  return *it;
}

int64_t as_int(const json& v, const std::string& field, int64_t lo = INT_MIN,
               int64_t hi = INT_MAX) {
  if (!v.is_number_integer())
    fail(field + " must be an integer, got " + type_name(v) + " " + show(v));
  if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(hi))
    fail(field + " is too large, got " + show(v));
  const int64_t x = v.get<int64_t>();
  if (x < lo || x > hi) fail(field + " is out of range, got " + show(v));
  return x;
}

double as_number(const json& v, const std::string& field) {
  if (!v.is_number()) fail(field + " must be a number, got " + type_name(v) + " " + show(v));
  return v.get<double>();
}

std::string as_string(const json& v, const std::string& field) {
  if (!v.is_string()) fail(field + " must be a string, got " + type_name(v) + " " + show(v));
  return v.get<std::string>();
}

template <typename T>
std::vector<T> as_int_array(const json& v, const std::string& field, int64_t lo = INT_MIN,
                            int64_t hi = INT_MAX) {
  if (!v.is_array()) fail(field + " must be an array of integers, got " + type_name(v));
  std::vector<T> out;
  for (size_t k = 0; k < v.size(); ++k)
    out.push_back(static_cast<T>(as_int(v[k], field + "[" + std::to_string(k) + "]", lo, hi)));
  return out;
}

void check_object(const json& j, const std::string& what) {
  if (!j.is_object()) fail(what + " must be a JSON object, got " + type_name(j));
}

void check_known_fields(const json& j, const std::set<std::string>& allowed,
                        const std::string& path, const std::string& context) {
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (allowed.count(it.key())) continue;
    std::string names;
    for (const auto& a : allowed) names += (names.empty() ? "" : ", ") + a;
    fail("unknown field " + path + it.key() + " " + context + " (known: " + names + ")");
  }
}

std::set<std::string> allowed_fields(Family family) {
  std::set<std::string> keys = {"format", "version", "family", "name", "arch", "input", "classes"};
  switch (family) {
    case Family::kMlp:
      keys.insert({"cells", "link_pool", "activation"});
      break;
    case Family::kCnn:
    case Family::kDepthwiseCnn:
      keys.insert({"cells", "link_pool", "head"});
      break;
    case Family::kResNet:
      keys.insert({"block", "layers", "planes", "stem", "stem_width", "groups",
                   "width_per_group"});
      break;
    case Family::kMobileNetV2:
      keys.insert({"width_mult", "repeats", "stem"});
      break;
    case Family::kNb201:
      keys.insert({"cell", "channels", "cells_per_stage"});
      break;
  }
  return keys;
}

void check_format(const json& j, const char* format, int version, const char* what) {
  if (auto it = j.find("format"); it != j.end() && as_string(*it, "format") != format)
    fail("format must be \"" + std::string(format) + "\" for " + what + ", got " + show(*it));
  if (auto it = j.find("version"); it != j.end()) {
    const int64_t v = as_int(*it, "version");
    if (v < 1 || v > version)
      fail(std::string(what) + " version " + std::to_string(v) + " is not one this nnmass reads (" +
           std::to_string(version) + "); upgrade nnmass or regenerate the file");
  }
}

std::vector<Cell> read_cells(const json& v) {
  if (!v.is_array()) fail("cells must be an array of {depth, width, tc} objects, got " +
                          type_name(v));
  std::vector<Cell> cells;
  for (size_t c = 0; c < v.size(); ++c) {
    const std::string path = "cells[" + std::to_string(c) + "].";
    check_object(v[c], "cells[" + std::to_string(c) + "]");
    check_known_fields(v[c], {"depth", "width", "tc"}, path, "in a cell");
    Cell cell;
    cell.depth = static_cast<int>(as_int(require(v[c], "depth", path), path + "depth"));
    cell.width = static_cast<int>(as_int(require(v[c], "width", path), path + "width"));
    cell.tc = static_cast<int>(as_int(require(v[c], "tc", path), path + "tc"));
    cells.push_back(cell);
  }
  return cells;
}

void read_resnet(const json& j, bool from_arch, ResNetLayout* r) {
  if (!from_arch) {
    r->block = parse_block(as_string(require(j, "block", ""), "block"));
    r->layers = as_int_array<int>(require(j, "layers", ""), "layers");
    r->planes.clear();
    for (size_t s = 0; s < r->layers.size(); ++s) r->planes.push_back(64 << std::min<size_t>(s, 14));
  } else {
    if (j.contains("block")) r->block = parse_block(as_string(j["block"], "block"));
    if (j.contains("layers")) r->layers = as_int_array<int>(j["layers"], "layers");
  }
  if (j.contains("planes")) r->planes = as_int_array<int>(j["planes"], "planes");
  if (j.contains("stem")) r->stem = parse_stem(as_string(j["stem"], "stem"));
  if (j.contains("stem_width")) r->stem_width = static_cast<int>(as_int(j["stem_width"], "stem_width"));
  if (j.contains("groups")) r->groups = static_cast<int>(as_int(j["groups"], "groups"));
  if (j.contains("width_per_group"))
    r->width_per_group = static_cast<int>(as_int(j["width_per_group"], "width_per_group"));
}

void read_mobilenet(const json& j, MobileNetV2Layout* m) {
  if (j.contains("width_mult")) m->width_mult = as_number(j["width_mult"], "width_mult");
  if (j.contains("repeats")) m->repeats = as_int_array<int>(j["repeats"], "repeats");
  if (j.contains("stem")) m->stem = parse_stem(as_string(j["stem"], "stem"));
}

void read_nb201(const json& j, Nb201Layout* n) {
  n->cell = parse_nb201_cell(as_string(require(j, "cell", ""), "cell"));
  if (j.contains("channels")) n->channels = static_cast<int>(as_int(j["channels"], "channels"));
  if (j.contains("cells_per_stage"))
    n->cells_per_stage = static_cast<int>(as_int(j["cells_per_stage"], "cells_per_stage"));
}

constexpr int kMaxJsonDepth = 64;  // deeper nesting is refused (nlohmann recurses on it)

// A char iterator that publishes how far nlohmann's lexer has read, so the parser callback can say
// where in the text an event is (the lexer reads no further than the token it has just returned,
// except one character after a number).
class TrackingIterator {
 public:
  using iterator_category = std::input_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char*;
  using reference = const char&;

  TrackingIterator(const char* at, const char** read_to) : at_(at), read_to_(read_to) {}
  reference operator*() const { return *at_; }
  TrackingIterator& operator++() {
    *read_to_ = ++at_;
    return *this;
  }
  TrackingIterator operator++(int) {
    TrackingIterator before = *this;
    ++*this;
    return before;
  }
  bool operator==(const TrackingIterator& o) const { return at_ == o.at_; }
  bool operator!=(const TrackingIterator& o) const { return at_ != o.at_; }

 private:
  const char* at_;
  const char** read_to_;
};

// A key for a one-line message: JSON-quoted, at most ~40 bytes (cut on a UTF-8 boundary).
std::string quote_key(const std::string& key) {
  if (key.size() <= 40) return json(key).dump();
  size_t cut = 37;
  while (cut > 0 && (static_cast<unsigned char>(key[cut]) & 0xC0) == 0x80) --cut;
  const std::string quoted = json(key.substr(0, cut)).dump();
  return quoted.substr(0, quoted.size() - 1) + "...\"";
}

// Parser callback of parse_json_text: refuses nesting deeper than kMaxJsonDepth and a key given
// twice in one object (nlohmann would keep the last silently). Positions are 1-based bytes, as in
// nlohmann's own messages.
class JsonGuard {
 public:
  JsonGuard(const std::string& what, const char* begin, const char** read_to)
      : what_(what), begin_(begin), read_to_(read_to) {}

  bool on_event(int depth, json::parse_event_t event, const json& parsed) {
    using Event = json::parse_event_t;
    if ((event == Event::object_start || event == Event::array_start) && depth >= kMaxJsonDepth)
      throw IoError(what_ + ": JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels at byte " +
                    std::to_string(*read_to_ - begin_));
    if (event == Event::object_start) keys_.emplace_back();
    if (event == Event::object_end && !keys_.empty()) keys_.pop_back();
    if (event == Event::key && !keys_.empty() && !keys_.back().insert(parsed.get_ref<const std::string&>()).second)
      throw IoError(what_ + ": key " + quote_key(parsed.get_ref<const std::string&>()) +
                    " given twice in one object (at byte " + std::to_string(key_start()) + ")");
    return true;
  }

 private:
  // 1-based byte of the opening quote of the key the lexer has just read (it stopped after the
  // closing quote): the nearest quote before it that no backslash escapes.
  int64_t key_start() const {
    size_t q = static_cast<size_t>(*read_to_ - begin_) - 2;  // the byte before the closing quote
    for (; q > 0; --q) {
      if (begin_[q] != '"') continue;
      size_t slashes = 0;
      while (slashes < q && begin_[q - 1 - slashes] == '\\') ++slashes;
      if (slashes % 2 == 0) break;
    }
    return static_cast<int64_t>(q) + 1;
  }

  const std::string& what_;
  const char* begin_;
  const char** read_to_;
  std::vector<std::set<std::string>> keys_;  // keys seen, per open object
};

}  // namespace

json spec_to_json(const Spec& spec) {
  json j;
  j["format"] = kSpecFormat;
  j["version"] = kSpecFormatVersion;
  j["family"] = to_string(spec.family);
  if (!spec.name.empty()) j["name"] = spec.name;
  j["input"] = spec.input;
  j["classes"] = spec.classes;
  if (is_dense(spec.family)) {
    json cells = json::array();
    for (const Cell& c : spec.cells)
      cells.push_back({{"depth", c.depth}, {"width", c.width}, {"tc", c.tc}});
    j["cells"] = cells;
    j["link_pool"] = to_string(spec.link_pool);
    if (spec.family == Family::kMlp)
      j["activation"] = to_string(spec.activation);
    else
      j["head"] = to_string(spec.head);
  } else if (spec.family == Family::kResNet) {
    const ResNetLayout& r = spec.resnet;
    j["block"] = to_string(r.block);
    j["layers"] = r.layers;
    j["planes"] = r.planes;
    j["stem"] = to_string(r.stem);
    j["stem_width"] = r.stem_width;
    j["groups"] = r.groups;
    j["width_per_group"] = r.width_per_group;
  } else if (spec.family == Family::kNb201) {
    j["cell"] = nb201_arch_string(spec.nb201.cell);
    j["channels"] = spec.nb201.channels;
    j["cells_per_stage"] = spec.nb201.cells_per_stage;
  } else {
    j["width_mult"] = spec.mobilenet.width_mult;
    j["repeats"] = spec.mobilenet.repeats;
    j["stem"] = to_string(spec.mobilenet.stem);
  }
  return j;
}

Spec spec_from_json(const json& j) {
  check_object(j, "spec");
  check_format(j, kSpecFormat, kSpecFormatVersion, "spec");
  Spec spec;
  const bool from_arch = j.contains("arch");
  if (from_arch) spec = standard_spec(as_string(j["arch"], "arch"));
  if (j.contains("family") || !from_arch) {
    const Family family = parse_family(as_string(require(j, "family", ""), "family"));
    if (from_arch && family != spec.family)
      fail("family \"" + to_string(family) + "\" does not match arch \"" + spec.name + "\" (" +
           to_string(spec.family) + ")");
    spec.family = family;
  }
  check_known_fields(j, allowed_fields(spec.family), "",
                     "for family " + to_string(spec.family));
  if (j.contains("name")) spec.name = as_string(j["name"], "name");
  if (!from_arch || j.contains("input"))
    spec.input = as_int_array<int64_t>(require(j, "input", ""), "input", INT_MIN, INT64_MAX);
  if (!from_arch || j.contains("classes"))
    spec.classes = static_cast<int>(as_int(require(j, "classes", ""), "classes"));
  if (is_dense(spec.family)) {
    spec.cells = read_cells(require(j, "cells", ""));
    if (j.contains("link_pool"))
      spec.link_pool = parse_link_pool(as_string(j["link_pool"], "link_pool"));
    if (j.contains("activation"))
      spec.activation = parse_activation(as_string(j["activation"], "activation"));
    if (j.contains("head")) spec.head = parse_head(as_string(j["head"], "head"));
  } else if (spec.family == Family::kResNet) {
    read_resnet(j, from_arch, &spec.resnet);
  } else if (spec.family == Family::kMobileNetV2) {
    read_mobilenet(j, &spec.mobilenet);
  } else {
    read_nb201(j, &spec.nb201);
  }
  validate(spec);
  return spec;
}

json parse_json_text(const std::string& text, const std::string& what) {
  const char* read_to = text.data();
  JsonGuard guard(what, text.data(), &read_to);
  try {
    return json::parse(TrackingIterator(text.data(), &read_to), TrackingIterator(text.data() + text.size(), &read_to),
                       [&guard](int depth, json::parse_event_t event, json& parsed) {
                         return guard.on_event(depth, event, parsed);
                       });
  } catch (const json::exception& e) {
    // nlohmann's message reads "[json.exception.parse_error.101] parse error at line 1, ..."; a
    // number too large for a double ("1e500") is its out_of_range.406.
    std::string message = e.what();
    if (auto pos = message.find("] "); pos != std::string::npos) message = message.substr(pos + 2);
    throw IoError(what + ": malformed JSON: " + message);
  }
}

Spec read_spec_file(const std::string& path) {
  const json j = parse_json_text(read_text_file(path, kMaxJsonFileBytes), path);
  try {
    return spec_from_json(j);
  } catch (const SpecError& e) {
    throw SpecError(path + ": " + e.what());
  }
}

json links_to_json(const Links& links) {
  json cells = json::array();
  for (const CellLinks& cell : links.cells) {
    json layers = json::array();
    for (const auto& sources : cell.layers) {
      json layer = json::array();
      for (const LinkSource& s : sources) layer.push_back({s.layer, s.channel});
      layers.push_back(layer);
    }
    cells.push_back({{"layers", layers}});
  }
  return {{"format", kLinksFormat}, {"version", kLinksFormatVersion}, {"seed", links.seed},
          {"pool", to_string(links.pool)}, {"cells", cells}};
}

Links links_from_json(const json& j, const Spec& spec) {
  check_object(j, "links");
  check_format(j, kLinksFormat, kLinksFormatVersion, "links");
  check_known_fields(j, {"format", "version", "seed", "pool", "cells"}, "", "in links");
  Links links;
  const json& seed = require(j, "seed", "");
  if (!seed.is_number_unsigned() && !(seed.is_number_integer() && seed.get<int64_t>() >= 0))
    fail("seed must be a non-negative integer, got " + show(seed));
  links.seed = seed.get<uint64_t>();
  links.pool = parse_link_pool(as_string(require(j, "pool", ""), "pool"), "pool");
  const json& cells = require(j, "cells", "");
  if (!cells.is_array()) fail("cells must be an array, got " + type_name(cells));
  for (size_t c = 0; c < cells.size(); ++c) {
    const std::string path = "cells[" + std::to_string(c) + "]";
    check_object(cells[c], path);
    const json& layers = require(cells[c], "layers", path + ".");
    if (!layers.is_array()) fail(path + ".layers must be an array, got " + type_name(layers));
    CellLinks cell;
    for (size_t i = 0; i < layers.size(); ++i) {
      const std::string lpath = path + ".layers[" + std::to_string(i) + "]";
      if (!layers[i].is_array()) fail(lpath + " must be an array of [layer, channel] pairs");
      std::vector<LinkSource> sources;
      for (size_t k = 0; k < layers[i].size(); ++k) {
        const auto pair = as_int_array<int>(layers[i][k], lpath + "[" + std::to_string(k) + "]");
        if (pair.size() != 2) fail(lpath + "[" + std::to_string(k) + "] must be [layer, channel]");
        sources.push_back({pair[0], pair[1]});
      }
      cell.layers.push_back(std::move(sources));
    }
    links.cells.push_back(std::move(cell));
  }
  check_links(spec, links);
  return links;
}

}  // namespace nnmass
