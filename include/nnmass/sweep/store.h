// The results database of a sweep: one SQLite file, one row per run, written in one transaction
// per run, so a crash or a kill loses at most the run in flight. The schema is generated from one
// field list (run_fields), which the CSV export and the report read too. Torch-free.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <variant>
#include <vector>

struct sqlite3;

namespace nnmass {

constexpr int kStoreFormatVersion = 1;

// One run of a sweep: what was trained, how, and what came out.
struct RunRecord {
  std::string key;            // stable identity of (architecture, seed, data, recipe)
  std::string status;         // "ok" or "failed"
  std::string error;          // why it failed
  std::string family;
  int64_t depth = 0;          // layers, summed over cells
  int64_t width = 0;          // width of the first cell
  int64_t tc = 0;             // t_c of the first cell
  std::string cells;          // every cell, "d x w x t_c" joined by ':'
  int64_t seed = 0;
  double nn_mass = 0, density = 0;
  int64_t params = 0, macs = 0, flops = 0;
  double ldi_mean = 0, ldi_std = 0;  // layer-wise isometry at initialization
  double train_seconds = 0;
  double test_acc = 0, test_loss = 0;
  int64_t epochs = 0;
  std::string data;           // data set name
  std::string spec_json, links_json, recipe_json;
  std::string nnmass_version;
  std::string finished_at;    // UTC, ISO 8601
};

using FieldValue = std::variant<int64_t, double, std::string>;

// One column: its name, SQL type and accessors.
struct RunField {
  const char* name;
  const char* sql_type;  // INTEGER, REAL or TEXT
  FieldValue (*get)(const RunRecord&);
  void (*set)(RunRecord&, const FieldValue&);
};
const std::vector<RunField>& run_fields();

class RunStore {
 public:
  // Opens (creating if needed) a results database; IoError if it cannot, or if it was written by
  // an incompatible format version.
  explicit RunStore(const std::string& path);
  ~RunStore();
  RunStore(const RunStore&) = delete;
  RunStore& operator=(const RunStore&) = delete;

  // Inserts or replaces one run, in its own transaction.
  void put(const RunRecord& run);
  // Keys of runs with status "ok".
  std::set<std::string> finished_keys() const;
  // Every run, in insertion order.
  std::vector<RunRecord> runs() const;

 private:
  void exec(const std::string& sql) const;
  std::string path_;
  sqlite3* db_ = nullptr;
};

// Every run of several databases (shards), the later file winning on a repeated key.
std::vector<RunRecord> read_runs(const std::vector<std::string>& paths);

// The runs as CSV, one column per field, header first.
std::string runs_to_csv(const std::vector<RunRecord>& runs);

}  // namespace nnmass
