// One definition per option. A verb declares its options once in an OptionTable (name, type,
// allowed range or values, default, help, the families it applies to); the command line (cli/),
// grid files (JSON objects keyed by the options' names) and the Python module all read that one
// table, so an option cannot be accepted in one place and missing or typed differently in another.
// Numbers are parsed strictly: the whole text, inside the declared range, no silent wrap,
// truncation, NaN or infinity. Every error names the option as the user wrote it ("--epochs" on
// the command line, "grid.json: epochs" in a file) and what is allowed.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace nnmass {

constexpr int64_t kIntMax = std::numeric_limits<int32_t>::max();
constexpr int64_t kSeedMax = (int64_t{1} << 53);  // seeds stay exact in JSON readers (doubles)

// "a,b,,c" -> {"a", "b", "", "c"}: the parts of a flag's list, empty ones kept (the parsers refuse them).
std::vector<std::string> split_list(const std::string& text, char sep);

// Strict parsers; SpecError "<what> must be ..., got \"<text>\"" on anything else.
int64_t parse_int(const std::string& text, const std::string& what, int64_t lo, int64_t hi);
double parse_real(const std::string& text, const std::string& what, double lo, double hi);
// "8,12,16": each value in [lo, hi]; at most `max_values` of them.
std::vector<int64_t> parse_int_list(const std::string& text, char sep, const std::string& what, int64_t lo,
                                    int64_t hi, size_t max_values = 100000);
// "8,12,16", "8-40" or "8-40:4" (inclusive ranges, with a step), each value in [lo, hi]; a range
// that would expand to more than `max_values` values is refused before it is expanded.
std::vector<int64_t> parse_int_ranges(const std::string& text, const std::string& what, int64_t lo, int64_t hi,
                                      size_t max_values = 100000);
// "0.5,1.0": each value in [lo, hi].
std::vector<double> parse_real_list(const std::string& text, const std::string& what, double lo, double hi);

// The JSON key of an option name ("batch-size" -> "batch_size") and back.
std::string json_key(const std::string& name);
std::string option_name(const std::string& json_key);

enum class OptionKind {
  kInt,   // one integer
  kReal,  // one finite number
  kText,  // one word (a name, a path, a choice)
  kList,  // a list the option parses itself ("16,24:32", "0-32"); JSON: a string, number or array
  kFlag,  // a switch: no value on the command line, true/false in JSON
};

struct Option {
  std::string name;                   // "batch-size": flag --batch-size, JSON key batch_size
  OptionKind kind = OptionKind::kText;
  std::string help;                   // one line; the range/choices/default are appended in --help
  std::string group;                  // heading in --help
  std::string allowed;                // "1 to 100000", "adam | sgd": shown in --help and errors
  std::string default_text;           // shown as [default: ...] ("": not shown)
  std::vector<std::string> families;  // families it applies to (empty: all)
  bool in_grid = true;                // may be given in a grid file
  // Parses `text` (what the user wrote), checks it and stores it; `what` names the option in
  // errors. Flags receive "true" or "false".
  std::function<void(const std::string& text, const std::string& what)> set;
};

// The declared options of one verb, in declaration order.
class OptionTable {
 public:
  // Options added next are shown under this heading.
  OptionTable& group(const std::string& heading);
  // Integers in [lo, hi] (int, int64_t or uint64_t targets).
  Option& add(const std::string& name, int* target, int64_t lo, int64_t hi, const std::string& help);
  Option& add(const std::string& name, int64_t* target, int64_t lo, int64_t hi, const std::string& help);
  Option& add(const std::string& name, uint64_t* target, int64_t lo, int64_t hi, const std::string& help);
  // Finite numbers in [lo, hi].
  Option& add(const std::string& name, double* target, double lo, double hi, const std::string& help);
  // A word; one of `choices` unless that is empty.
  Option& add(const std::string& name, std::string* target, const std::string& help,
              const std::vector<std::string>& choices = {});
  // A list in its own syntax, checked later by whoever expands it.
  Option& add_list(const std::string& name, std::string* target, const std::string& help);
  Option& add_flag(const std::string& name, bool* target, const std::string& help);

  std::vector<Option>& options() { return options_; }
  const std::vector<Option>& options() const { return options_; }
  const Option* find(const std::string& name) const;  // by flag name or JSON key

  // Applies a grid file's JSON object: each key names an option of this table, its value is
  // checked exactly as the same flag on the command line. Options already given (on the command
  // line) are skipped: the command line wins. `comment` is ignored, and so are `other_fields`,
  // which the caller reads itself (they are listed in the unknown-field error).
  void apply_json(const nlohmann::json& object, const std::string& file,
                  const std::vector<std::string>& other_fields = {}) const;

  // Whether an option was set (on the command line or from a grid file), by name.
  bool given(const std::string& name) const { return given_->count(option_name(name)) > 0; }
  const std::set<std::string>& given_names() const { return *given_; }
  // Forgets which options were given (to read another command line or file into the same table).
  void clear_given() const { given_->clear(); }

 private:
  Option& push(Option option);
  std::string group_ = "Options";
  std::vector<Option> options_;
  std::shared_ptr<std::set<std::string>> given_ = std::make_shared<std::set<std::string>>();
};

}  // namespace nnmass
