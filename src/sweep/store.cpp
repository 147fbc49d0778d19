// SQLite results store; see store.h.
#include "nnmass/sweep/store.h"

#include <sqlite3.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <sstream>

#include "nnmass/error.h"

namespace nnmass {
namespace {

// Field accessors: a macro per type keeps the list to one line per column.
#define NNMASS_INT(f) {#f, "INTEGER", [](const RunRecord& r) -> FieldValue { return int64_t{r.f}; }, \
                       [](RunRecord& r, const FieldValue& v) { r.f = std::get<int64_t>(v); }}
#define NNMASS_REAL(f) {#f, "REAL", [](const RunRecord& r) -> FieldValue { return r.f; }, \
                        [](RunRecord& r, const FieldValue& v) { r.f = std::get<double>(v); }}
#define NNMASS_TEXT(f) {#f, "TEXT", [](const RunRecord& r) -> FieldValue { return r.f; }, \
                        [](RunRecord& r, const FieldValue& v) { r.f = std::get<std::string>(v); }}

class Statement {
 public:
  Statement(sqlite3* db, const std::string& sql, const std::string& path) : db_(db) {
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt_, nullptr) != SQLITE_OK)
      throw IoError(path + ": " + sqlite3_errmsg(db));
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  sqlite3_stmt* get() const { return stmt_; }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

}  // namespace

const std::vector<RunField>& run_fields() {
  static const std::vector<RunField> fields = {
      NNMASS_TEXT(key),        NNMASS_TEXT(status),      NNMASS_TEXT(error),
      NNMASS_TEXT(family),     NNMASS_INT(depth),        NNMASS_INT(width),
      NNMASS_INT(tc),          NNMASS_TEXT(cells),       NNMASS_INT(seed),
      NNMASS_REAL(nn_mass),    NNMASS_REAL(density),     NNMASS_INT(params),
      NNMASS_INT(macs),        NNMASS_INT(flops),        NNMASS_REAL(ldi_mean),
      NNMASS_REAL(ldi_std),    NNMASS_REAL(train_seconds), NNMASS_REAL(test_acc),
      NNMASS_REAL(test_loss),  NNMASS_INT(epochs),       NNMASS_TEXT(data),
      NNMASS_TEXT(spec_json),  NNMASS_TEXT(links_json),  NNMASS_TEXT(recipe_json),
      NNMASS_TEXT(nnmass_version), NNMASS_TEXT(finished_at)};
  return fields;
}

RunStore::RunStore(const std::string& path) : path_(path) {
  const auto parent = std::filesystem::path(path).parent_path();
  std::error_code ec;
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
    const std::string reason = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw IoError("cannot open results database " + path + ": " + reason);
  }
  sqlite3_busy_timeout(db_, 10000);
  try {
    // WAL: a committed run survives a kill; readers (nnmass report) do not block the sweep.
    exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
    exec("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT)");
    std::string columns;
    for (const RunField& f : run_fields())
      columns += std::string(columns.empty() ? "" : ", ") + f.name + " " + f.sql_type +
                 (std::string(f.name) == "key" ? " PRIMARY KEY" : "");
    exec("CREATE TABLE IF NOT EXISTS runs (" + columns + ")");
    Statement version(db_, "SELECT value FROM meta WHERE name = 'format_version'", path_);
    if (sqlite3_step(version.get()) == SQLITE_ROW) {
      const std::string found = reinterpret_cast<const char*>(sqlite3_column_text(version.get(), 0));
      if (found != std::to_string(kStoreFormatVersion))
        throw IoError(path + ": results format version " + found + ", this nnmass writes version " +
                      std::to_string(kStoreFormatVersion) + "; use another --db or rerun the sweep");
    } else {
      exec("INSERT INTO meta VALUES ('format_version', '" + std::to_string(kStoreFormatVersion) + "')");
      exec("INSERT INTO meta VALUES ('created_by', 'nnmass " NNMASS_VERSION "')");
    }
  } catch (...) {
    sqlite3_close(db_);
    db_ = nullptr;
    throw;
  }
}

RunStore::~RunStore() { sqlite3_close(db_); }

void RunStore::exec(const std::string& sql) const {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    const std::string reason = message ? message : "unknown error";
    sqlite3_free(message);
    throw IoError(path_ + ": " + reason + (reason.find("not a database") != std::string::npos
                                                ? "; the file is not an nnmass results database"
                                                : ""));
  }
}

void RunStore::put(const RunRecord& run) {
  const auto& fields = run_fields();
  std::string names, marks;
  for (const RunField& f : fields) {
    names += std::string(names.empty() ? "" : ", ") + f.name;
    marks += marks.empty() ? "?" : ", ?";
  }
  exec("BEGIN IMMEDIATE");
  try {
    Statement insert(db_, "INSERT OR REPLACE INTO runs (" + names + ") VALUES (" + marks + ")", path_);
    for (size_t k = 0; k < fields.size(); ++k) {
      const FieldValue v = fields[k].get(run);
      const int index = static_cast<int>(k) + 1;
      if (auto* i = std::get_if<int64_t>(&v)) sqlite3_bind_int64(insert.get(), index, *i);
      else if (auto* d = std::get_if<double>(&v))
        std::isnan(*d) ? sqlite3_bind_null(insert.get(), index) : sqlite3_bind_double(insert.get(), index, *d);
      else sqlite3_bind_text(insert.get(), index, std::get<std::string>(v).c_str(), -1, SQLITE_TRANSIENT);
    }
    if (sqlite3_step(insert.get()) != SQLITE_DONE) throw IoError(path_ + ": " + sqlite3_errmsg(db_));
    exec("COMMIT");
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

std::set<std::string> RunStore::finished_keys() const {
  std::set<std::string> keys;
  Statement select(db_, "SELECT key FROM runs WHERE status = 'ok'", path_);
  while (sqlite3_step(select.get()) == SQLITE_ROW)
    keys.insert(reinterpret_cast<const char*>(sqlite3_column_text(select.get(), 0)));
  return keys;
}

std::vector<RunRecord> RunStore::runs() const {
  const auto& fields = run_fields();
  std::string names;
  for (const RunField& f : fields) names += std::string(names.empty() ? "" : ", ") + f.name;
  Statement select(db_, "SELECT " + names + " FROM runs ORDER BY rowid", path_);
  std::vector<RunRecord> runs;
  int rc;
  while ((rc = sqlite3_step(select.get())) == SQLITE_ROW) {
    RunRecord r;
    for (size_t k = 0; k < fields.size(); ++k) {
      const int col = static_cast<int>(k);
      const std::string type = fields[k].sql_type;
      if (type == "INTEGER") fields[k].set(r, int64_t{sqlite3_column_int64(select.get(), col)});
      else if (type == "REAL")  // NULL: not measured (e.g. no LDI for CNNs)
        fields[k].set(r, sqlite3_column_type(select.get(), col) == SQLITE_NULL
                             ? std::numeric_limits<double>::quiet_NaN()
                             : sqlite3_column_double(select.get(), col));
      else {
        const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(select.get(), col));
        fields[k].set(r, std::string(text ? text : ""));
      }
    }
    runs.push_back(std::move(r));
  }
  if (rc != SQLITE_DONE) throw IoError(path_ + ": " + sqlite3_errmsg(db_));
  return runs;
}

std::vector<RunRecord> read_runs(const std::vector<std::string>& paths) {
  std::map<std::string, size_t> index;
  std::vector<RunRecord> all;
  for (const std::string& path : paths) {
    if (!std::filesystem::is_regular_file(path)) throw IoError("cannot read results database " + path + ": no such file");
    for (RunRecord& r : RunStore(path).runs()) {
      auto it = index.find(r.key);
      if (it == index.end()) {
        index[r.key] = all.size();
        all.push_back(std::move(r));
      } else {
        all[it->second] = std::move(r);
      }
    }
  }
  return all;
}

namespace {

std::string csv_cell(const FieldValue& v) {
  if (auto* i = std::get_if<int64_t>(&v)) return std::to_string(*i);
  if (auto* d = std::get_if<double>(&v)) {
    std::ostringstream out;
    out.precision(17);
    out << *d;
    return out.str();
  }
  const std::string& s = std::get<std::string>(v);
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string quoted = "\"";
  for (char c : s) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

}  // namespace

std::string runs_to_csv(const std::vector<RunRecord>& runs) {
  const auto& fields = run_fields();
  std::string out;
  for (size_t k = 0; k < fields.size(); ++k) out += std::string(k ? "," : "") + fields[k].name;
  out += "\n";
  for (const RunRecord& r : runs) {
    for (size_t k = 0; k < fields.size(); ++k) out += (k ? "," : "") + csv_cell(fields[k].get(r));
    out += "\n";
  }
  return out;
}

}  // namespace nnmass
