// Strict number parsing and the option table; see options.h.
#include "nnmass/options.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <sstream>

#include "nnmass/error.h"

namespace nnmass {
namespace {

[[noreturn]] void fail(const std::string& message) { throw SpecError(message); }

std::string quoted(const std::string& text) {
  return "\"" + (text.size() > 40 ? text.substr(0, 37) + "..." : text) + "\"";
}

std::string int_range_text(int64_t lo, int64_t hi) {
  if (hi >= kSeedMax && lo == 0) return "a whole number >= 0";
  if (hi >= kIntMax) return "a whole number >= " + std::to_string(lo);
  return "a whole number from " + std::to_string(lo) + " to " + std::to_string(hi);
}

std::string real_text(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

std::string real_range_text(double lo, double hi) {
  if (std::isinf(hi) && lo == 0) return "a finite number >= 0";
  if (std::isinf(hi)) return "a finite number >= " + real_text(lo);
  if (std::isinf(lo)) return "a finite number";
  return "a number from " + real_text(lo) + " to " + real_text(hi);
}

std::string join(const std::vector<std::string>& words, const char* sep) {
  std::string text;
  for (const auto& w : words) text += (text.empty() ? "" : sep) + w;
  return text;
}

// A JSON value as the text the same flag would be given on the command line.
std::string flag_text(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_array()) {
    std::string s;
    for (const auto& x : v) {
      if (x.is_array() || x.is_object()) fail("nested");
      s += (s.empty() ? "" : ",") + flag_text(x);
    }
    return s;
  }
  return v.dump();
}

std::string json_type(const nlohmann::json& v) {
  if (v.is_number_integer()) return "an integer";
  if (v.is_number()) return "a number";
  if (v.is_boolean()) return "a boolean";
  return std::string(v.is_array() || v.is_object() ? "an " : "a ") + v.type_name();
}

// The JSON types each kind accepts (numbers as numbers, words as strings: a grid file is typed).
bool type_fits(OptionKind kind, const nlohmann::json& v) {
  switch (kind) {
    case OptionKind::kInt:
    case OptionKind::kReal:
      return v.is_number();
    case OptionKind::kText:
      return v.is_string();
    case OptionKind::kList:
      return v.is_string() || v.is_number() || v.is_array();
    case OptionKind::kFlag:
      return v.is_boolean();
  }
  return false;
}

template <typename T>
Option int_option(const std::string& name, T* target, int64_t lo, int64_t hi, const std::string& help) {
  Option o;
  o.name = name;
  o.kind = OptionKind::kInt;
  o.help = help;
  o.allowed = int_range_text(lo, hi);
  o.default_text = std::to_string(*target);
  o.set = [target, lo, hi](const std::string& text, const std::string& what) {
    *target = static_cast<T>(parse_int(text, what, lo, hi));
  };
  return o;
}

}  // namespace

std::vector<std::string> split_list(const std::string& text, char sep) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    const size_t end = text.find(sep, start);
    parts.push_back(text.substr(start, end - start));
    if (end == std::string::npos) return parts;
    start = end + 1;
  }
}

int64_t parse_int(const std::string& text, const std::string& what, int64_t lo, int64_t hi) {
  errno = 0;
  char* end = nullptr;
  const long long v = std::strtoll(text.c_str(), &end, 10);
  const bool whole = !text.empty() && end && *end == '\0' && !std::isspace(static_cast<unsigned char>(text[0]));
  // A whole number past a bound the range text leaves unsaid (">= 0" for seeds up to 2^53): name it.
  const bool too_big = whole && (errno == ERANGE ? text[0] != '-' : v > hi);
  if (too_big && int_range_text(lo, hi).find(" to ") == std::string::npos)
    fail(what + " must be at most " + std::to_string(hi) + ", got " + quoted(text));
  if (!whole || errno == ERANGE || v < lo || v > hi)
    fail(what + " must be " + int_range_text(lo, hi) + ", got " + quoted(text));
  return v;
}

double parse_real(const std::string& text, const std::string& what, double lo, double hi) {
  errno = 0;
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  const bool whole = !text.empty() && end && *end == '\0' && !std::isspace(static_cast<unsigned char>(text[0]));
  if (!whole || errno == ERANGE || !std::isfinite(v) || v < lo || v > hi)
    fail(what + " must be " + real_range_text(lo, hi) + ", got " + quoted(text));
  return v;
}

std::vector<int64_t> parse_int_list(const std::string& text, char sep, const std::string& what, int64_t lo,
                                    int64_t hi, size_t max_values) {
  std::vector<int64_t> values;
  for (const std::string& part : split_list(text, sep)) {
    if (values.size() == max_values) fail(what + " lists more than " + std::to_string(max_values) + " values");
    values.push_back(parse_int(part, what, lo, hi));
  }
  return values;
}

std::vector<int64_t> parse_int_ranges(const std::string& text, const std::string& what, int64_t lo, int64_t hi,
                                      size_t max_values) {
  std::vector<int64_t> values;
  for (const std::string& part : split_list(text, ',')) {
    const size_t dash = part.find('-', 1);  // a leading '-' is a sign, refused by the range
    if (dash == std::string::npos) {
      values.push_back(parse_int(part, what, lo, hi));
    } else {
      const size_t colon = part.find(':', dash);
      const int64_t a = parse_int(part.substr(0, dash), what, lo, hi);
      const int64_t b = parse_int(part.substr(dash + 1, colon == std::string::npos ? std::string::npos : colon - dash - 1),
                                  what, lo, hi);
      const int64_t step = colon == std::string::npos ? 1 : parse_int(part.substr(colon + 1), what + " step", 1, hi);
      if (b < a) fail(what + ": range " + quoted(part) + " runs backwards; write a-b or a-b:step with a <= b");
      // Count before expanding, so 0-2147483647 is refused at once rather than looping for ever.
      const uint64_t count = static_cast<uint64_t>(b - a) / static_cast<uint64_t>(step) + 1;
      if (count > max_values || values.size() + count > max_values)
        fail(what + " expands to more than " + std::to_string(max_values) + " values, got " + quoted(text));
      for (int64_t v = a; v <= b; v += step) {
        values.push_back(v);
        if (b - v < step) break;  // v + step would pass b (or overflow)
      }
    }
    if (values.size() > max_values)
      fail(what + " expands to more than " + std::to_string(max_values) + " values, got " + quoted(text));
  }
  return values;
}

std::vector<double> parse_real_list(const std::string& text, const std::string& what, double lo, double hi) {
  std::vector<double> values;
  for (const std::string& part : split_list(text, ',')) values.push_back(parse_real(part, what, lo, hi));
  return values;
}

std::string json_key(const std::string& name) {
  std::string key = name;
  std::replace(key.begin(), key.end(), '-', '_');
  return key;
}

std::string option_name(const std::string& key) {
  std::string name = key;
  std::replace(name.begin(), name.end(), '_', '-');
  return name;
}

OptionTable& OptionTable::group(const std::string& heading) {
  group_ = heading;
  return *this;
}

Option& OptionTable::push(Option option) {
  option.group = group_;
  // Every way of setting an option records that it was given (recipe defaults and family checks
  // ask), whether it came from the command line or a grid file.
  option.set = [raw = std::move(option.set), given = given_, name = option.name](const std::string& text,
                                                                                  const std::string& what) {
    raw(text, what);
    given->insert(name);
  };
  options_.push_back(std::move(option));
  return options_.back();
}

Option& OptionTable::add(const std::string& name, int* target, int64_t lo, int64_t hi, const std::string& help) {
  return push(int_option(name, target, lo, hi, help));
}

Option& OptionTable::add(const std::string& name, int64_t* target, int64_t lo, int64_t hi, const std::string& help) {
  return push(int_option(name, target, lo, hi, help));
}

Option& OptionTable::add(const std::string& name, uint64_t* target, int64_t lo, int64_t hi, const std::string& help) {
  return push(int_option(name, target, lo, hi, help));
}

Option& OptionTable::add(const std::string& name, double* target, double lo, double hi, const std::string& help) {
  Option o;
  o.name = name;
  o.kind = OptionKind::kReal;
  o.help = help;
  o.allowed = real_range_text(lo, hi);
  o.default_text = real_text(*target);
  o.set = [target, lo, hi](const std::string& text, const std::string& what) {
    *target = parse_real(text, what, lo, hi);
  };
  return push(std::move(o));
}

Option& OptionTable::add(const std::string& name, std::string* target, const std::string& help,
                         const std::vector<std::string>& choices) {
  Option o;
  o.name = name;
  o.kind = OptionKind::kText;
  o.help = help;
  o.allowed = join(choices, " | ");
  o.default_text = *target;
  o.set = [target, choices](const std::string& text, const std::string& what) {
    if (!choices.empty() && std::find(choices.begin(), choices.end(), text) == choices.end())
      fail(what + " must be one of " + join(choices, ", ") + ", got " + quoted(text));
    *target = text;
  };
  return push(std::move(o));
}

Option& OptionTable::add_list(const std::string& name, std::string* target, const std::string& help) {
  Option o;
  o.name = name;
  o.kind = OptionKind::kList;
  o.help = help;
  o.default_text = *target;
  o.set = [target](const std::string& text, const std::string&) { *target = text; };
  return push(std::move(o));
}

Option& OptionTable::add_flag(const std::string& name, bool* target, const std::string& help) {
  Option o;
  o.name = name;
  o.kind = OptionKind::kFlag;
  o.help = help;
  o.set = [target](const std::string& text, const std::string&) { *target = text == "true"; };
  return push(std::move(o));
}

const Option* OptionTable::find(const std::string& name) const {
  const std::string wanted = option_name(name);
  for (const Option& o : options_)
    if (o.name == wanted) return &o;
  return nullptr;
}

void OptionTable::apply_json(const nlohmann::json& j, const std::string& file,
                             const std::vector<std::string>& other_fields) const {
  if (!j.is_object()) fail(file + ": a grid file is a JSON object of options, got " + json_type(j));
  const std::set<std::string> given = *given_;  // on the command line: those win
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& key = it.key();
    if (key == "comment" || std::find(other_fields.begin(), other_fields.end(), key) != other_fields.end()) continue;
    const Option* o = find(key);
    if (!o || !o->in_grid || key != json_key(o->name)) {
      std::vector<std::string> keys;
      for (const Option& x : options_)
        if (x.in_grid) keys.push_back(json_key(x.name));
      keys.insert(keys.end(), other_fields.begin(), other_fields.end());
      fail(file + ": unknown field " + quoted(key) + " (fields: " + join(keys, ", ") + ", comment)");
    }
    if (given.count(o->name)) continue;
    const std::string what = file + ": " + key;
    const nlohmann::json& v = it.value();
    if (!type_fits(o->kind, v))
      fail(what + " must be " + (o->kind == OptionKind::kFlag ? std::string("true or false")
                                 : o->kind == OptionKind::kText ? "a string"
                                 : o->kind == OptionKind::kList ? "a string, number or array" : "a number") +
           ", got " + json_type(v) + " " + v.dump().substr(0, 40));
    std::string text;
    try {
      text = flag_text(v);
    } catch (const SpecError&) {
      fail(what + " must be a flat array, got " + v.dump().substr(0, 40));
    }
    o->set(text, what);
  }
}

}  // namespace nnmass
