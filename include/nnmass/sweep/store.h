// The results database of a sweep: one SQLite file, one row per run, written in one transaction
// per run, so a crash or a kill loses at most the run in flight. The schema is generated from one
// field list (run_fields), which the CSV export and the report read too. A file nnmass did not
// write (another program's database, or not SQLite at all) is refused, never altered; readers
// open read-only. Torch-free.
#pragma once

#include <cstdint>
#include <map>
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
  int64_t depth = 0;          // layers, summed over cells (residual families: blocks)
  int64_t width = 0;          // width of the first cell (residual families: of the first block)
  int64_t tc = 0;             // t_c of the first cell
  std::string cells;          // the architecture_text (design.h): every cell, "d x w x t_c" joined by ':'
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
  // Zero-cost proxies at initialization (analysis/proxies.h): score and seconds, by proxy name.
  // Stored in their own table (proxies), so a store gains them without a format change.
  std::map<std::string, double> proxies;
  std::map<std::string, double> proxy_seconds;
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

// How a RunStore opens its file.
enum class StoreAccess {
  kWrite,  // create the file if needed (WAL journal); a new or empty file is initialised
  kRead,   // an existing results database, read-only: nothing created, journal mode untouched
};

class RunStore {
 public:
  // Opens a results database. IoError, one line naming the file, if it cannot, if the file is not
  // an nnmass results database (not SQLite, or SQLite without nnmass's tables: refused untouched),
  // or if it was written by another format version.
  explicit RunStore(const std::string& path, StoreAccess access = StoreAccess::kWrite);
  ~RunStore();
  RunStore(const RunStore&) = delete;
  RunStore& operator=(const RunStore&) = delete;

  // Inserts or replaces one run and its proxies, in its own transaction (IoError on a store opened
  // kRead).
  void put(const RunRecord& run);
  // Adds (or replaces) proxy scores of a stored run, leaving its other proxies as they are.
  void put_proxies(const std::string& key, const std::map<std::string, double>& values,
                   const std::map<std::string, double>& seconds);
  // Keys of runs with status "ok".
  std::set<std::string> finished_keys() const;
  // The proxies stored for each run key.
  std::map<std::string, std::set<std::string>> proxy_names() const;
  // Every run, in insertion order.
  std::vector<RunRecord> runs() const;

 private:
  void open(int flags);
  void initialise();
  void exec(const std::string& sql) const;
  void write_proxies(const std::string& key, const std::map<std::string, double>& values,
                     const std::map<std::string, double>& seconds);
  void read_proxies(std::vector<RunRecord>* runs) const;
  std::string path_;
  bool read_only_ = false;
  bool has_proxies_ = false;  // the file has the proxies table (stores older than it may not)
  sqlite3* db_ = nullptr;
};

// Every run of several databases (shards), the later file winning on a repeated key. Each file
// is opened read-only (StoreAccess::kRead).
std::vector<RunRecord> read_runs(const std::vector<std::string>& paths);

// A run's key: FNV-1a (64 bits, 16 hex digits) of its identity as canonical JSON (nlohmann sorts
// object keys), so the same run gets the same key on every machine.
std::string run_fingerprint(const std::string& text);
// Now, UTC, ISO 8601 (finished_at).
std::string utc_timestamp();

// The runs as CSV, one column per field, then one per proxy any run has (empty where a run has
// none), header first.
std::string runs_to_csv(const std::vector<RunRecord>& runs);

}  // namespace nnmass
