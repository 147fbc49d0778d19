// SQLite results store; see store.h.
#include "nnmass/sweep/store.h"

#include <sqlite3.h>

#include <cmath>
#include <ctime>
#include <filesystem>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <system_error>

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

namespace {

// Proxy scores, one row per (run, proxy): added beside runs, so format 1 stores gain it in place.
constexpr const char* kProxiesTable =
    "CREATE TABLE IF NOT EXISTS proxies (key TEXT NOT NULL, name TEXT NOT NULL, value REAL, seconds REAL, "
    "PRIMARY KEY (key, name))";

[[noreturn]] void not_a_store(const std::string& path, const std::string& reason) {
  throw IoError(path + " is not an nnmass results database (expected table runs with format " +
                std::to_string(kStoreFormatVersion) + ", written by nnmass sweep); " + reason);
}

// The schema objects (name -> type: table, view, index, trigger) other than SQLite's own; returns
// the SQLite result code (SQLITE_NOTADB for a file that is not SQLite).
int read_schema(sqlite3* db, std::map<std::string, std::string>* objects) {
  sqlite3_stmt* st = nullptr;
  int rc = sqlite3_prepare_v2(db, "SELECT name, type FROM sqlite_master", -1, &st, nullptr);
  while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    const auto* name = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    const auto* type = reinterpret_cast<const char*>(sqlite3_column_text(st, 1));
    if (name && std::string(name).rfind("sqlite_", 0) != 0) (*objects)[name] = type ? type : "";
    rc = SQLITE_OK;
  }
  sqlite3_finalize(st);
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

// Text from the file, fit for a one-line message: control characters as '?', at most 40 bytes.
std::string printable(const std::string& text) {
  std::string out = text.size() > 40 ? text.substr(0, 37) + "..." : text;
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  return out;
}

// "a, b, c" (at most four names, then "...").
std::string list_names(const std::map<std::string, std::string>& objects) {
  std::string out;
  int shown = 0;
  for (const auto& entry : objects) {
    if (shown++ == 4) return out + ", ...";
    out += (out.empty() ? "" : ", ") + printable(entry.first);
  }
  return out;
}

// The columns of `table`, empty if it cannot be read.
std::set<std::string> read_columns(sqlite3* db, const std::string& table) {
  std::set<std::string> columns;
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, ("PRAGMA table_info(" + table + ")").c_str(), -1, &st, nullptr) == SQLITE_OK)
    while (sqlite3_step(st) == SQLITE_ROW)
      if (const auto* name = reinterpret_cast<const char*>(sqlite3_column_text(st, 1))) columns.insert(name);
  sqlite3_finalize(st);
  return columns;
}

// The format version recorded in table meta; IoError (not a store) if there is none.
std::string read_format_version(sqlite3* db, const std::string& path) {
  sqlite3_stmt* st = nullptr;
  std::string found;
  bool recorded = false;
  if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE name = 'format_version'", -1, &st, nullptr) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW) {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    recorded = text != nullptr;
    found = text ? text : "";
  }
  sqlite3_finalize(st);
  if (!recorded) not_a_store(path, "its table meta records no format_version");
  return found;
}

// Checks that an open database is a results store of this format; false if it holds no schema
// at all (a new or empty file). IoError naming the file otherwise.
bool check_store(sqlite3* db, const std::string& path) {
  std::map<std::string, std::string> objects;
  const int rc = read_schema(db, &objects);
  if (rc == SQLITE_NOTADB) not_a_store(path, "it is not an SQLite database file");
  if (rc != SQLITE_OK) throw IoError("cannot read results database " + path + ": " + sqlite3_errmsg(db));
  if (objects.empty()) return false;
  for (const char* table : {"runs", "meta"}) {
    const auto it = objects.find(table);
    if (it == objects.end() || it->second != "table")
      not_a_store(path, std::string("it holds ") + list_names(objects) + " but no table " + table +
                            "; give nnmass a results database, or a new file to write one");
  }
  const std::string found = read_format_version(db, path);
  if (found != std::to_string(kStoreFormatVersion))
    throw IoError(path + ": results format version " + printable(found) +
                  ", this nnmass reads and writes version " + std::to_string(kStoreFormatVersion) +
                  "; use the nnmass that wrote it, or rerun the sweep into a new --db");
  const std::set<std::string> columns = read_columns(db, "runs");
  for (const RunField& f : run_fields())
    if (!columns.count(f.name)) not_a_store(path, std::string("its table runs has no column ") + f.name);
  return true;
}

}  // namespace

RunStore::RunStore(const std::string& path, StoreAccess access)
    : path_(path), read_only_(access == StoreAccess::kRead) {
  std::error_code ec;
  if (read_only_) {
    if (!std::filesystem::is_regular_file(path, ec))
      throw IoError("cannot read results database " + path + ": no such file");
    open(SQLITE_OPEN_READONLY);
  } else {
    const auto parent = std::filesystem::path(path).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    open(SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  }
  try {
    // Checked before anything is written: another program's file is refused untouched.
    const bool existing = check_store(db_, path_);
    if (read_only_) {
      if (!existing) not_a_store(path_, "it holds no tables");
      has_proxies_ = !read_columns(db_, "proxies").empty();
      return;
    }
    // WAL: a committed run survives a kill; readers (nnmass report) do not block the sweep.
    exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
    if (!existing) {
      initialise();
      check_store(db_, path_);  // another sweep may have initialised it first
    }
    exec(kProxiesTable);  // stores written before proxies existed gain the table
    has_proxies_ = true;
  } catch (...) {
    sqlite3_close(db_);
    db_ = nullptr;
    throw;
  }
}

RunStore::~RunStore() {
  // Back to a rollback journal if this is the last connection (else SQLite refuses at once): the
  // finished file then stands alone, and read-only readers (nnmass report) need not create
  // -wal/-shm files beside it, as they must for a WAL database.
  if (db_ && !read_only_) {
    sqlite3_busy_timeout(db_, 0);
    sqlite3_exec(db_, "PRAGMA journal_mode=DELETE", nullptr, nullptr, nullptr);
  }
  sqlite3_close(db_);
}

void RunStore::open(int flags) {
  if (sqlite3_open_v2(path_.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
    const std::string reason = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw IoError("cannot open results database " + path_ + ": " + reason);
  }
  sqlite3_busy_timeout(db_, 10000);
}

// Creates the tables and records the format, in one transaction (two sweeps starting on one new
// file both succeed: the second finds the tables made).
void RunStore::initialise() {
  std::string columns;
  for (const RunField& f : run_fields())
    columns += std::string(columns.empty() ? "" : ", ") + f.name + " " + f.sql_type +
               (std::string(f.name) == "key" ? " PRIMARY KEY" : "");
  exec("BEGIN IMMEDIATE");
  try {
    exec("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT)");
    exec("CREATE TABLE IF NOT EXISTS runs (" + columns + ")");
    exec(kProxiesTable);
    exec("INSERT OR IGNORE INTO meta VALUES ('format_version', '" + std::to_string(kStoreFormatVersion) + "')");
    exec("INSERT OR IGNORE INTO meta VALUES ('created_by', 'nnmass " NNMASS_VERSION "')");
    exec("COMMIT");
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

void RunStore::exec(const std::string& sql) const {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    const std::string reason = message ? message : "unknown error";
    sqlite3_free(message);
    throw IoError(path_ + ": " + reason);
  }
}

void RunStore::put(const RunRecord& run) {
  if (read_only_) throw IoError(path_ + ": opened read-only, cannot store run " + run.key);
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
    Statement drop(db_, "DELETE FROM proxies WHERE key = ?", path_);
    sqlite3_bind_text(drop.get(), 1, run.key.c_str(), -1, SQLITE_TRANSIENT);
    if (sqlite3_step(drop.get()) != SQLITE_DONE) throw IoError(path_ + ": " + sqlite3_errmsg(db_));
    write_proxies(run.key, run.proxies, run.proxy_seconds);
    exec("COMMIT");
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

namespace {

void bind_real(sqlite3_stmt* st, int index, double v) {
  std::isnan(v) ? sqlite3_bind_null(st, index) : sqlite3_bind_double(st, index, v);
}

}  // namespace

void RunStore::write_proxies(const std::string& key, const std::map<std::string, double>& values,
                             const std::map<std::string, double>& seconds) {
  Statement insert(db_, "INSERT OR REPLACE INTO proxies (key, name, value, seconds) VALUES (?, ?, ?, ?)", path_);
  for (const auto& [name, value] : values) {
    sqlite3_reset(insert.get());
    sqlite3_bind_text(insert.get(), 1, key.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(insert.get(), 2, name.c_str(), -1, SQLITE_TRANSIENT);
    bind_real(insert.get(), 3, value);
    const auto s = seconds.find(name);
    bind_real(insert.get(), 4, s == seconds.end() ? std::nan("") : s->second);
    if (sqlite3_step(insert.get()) != SQLITE_DONE) throw IoError(path_ + ": " + sqlite3_errmsg(db_));
  }
}

void RunStore::put_proxies(const std::string& key, const std::map<std::string, double>& values,
                           const std::map<std::string, double>& seconds) {
  if (read_only_) throw IoError(path_ + ": opened read-only, cannot store proxies of run " + key);
  exec("BEGIN IMMEDIATE");
  try {
    write_proxies(key, values, seconds);
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
    if (const auto* key = reinterpret_cast<const char*>(sqlite3_column_text(select.get(), 0))) keys.insert(key);
  return keys;
}

std::map<std::string, std::set<std::string>> RunStore::proxy_names() const {
  std::map<std::string, std::set<std::string>> names;
  if (!has_proxies_) return names;
  Statement select(db_, "SELECT key, name FROM proxies", path_);
  while (sqlite3_step(select.get()) == SQLITE_ROW) {
    const auto* key = reinterpret_cast<const char*>(sqlite3_column_text(select.get(), 0));
    const auto* name = reinterpret_cast<const char*>(sqlite3_column_text(select.get(), 1));
    if (key && name) names[key].insert(name);
  }
  return names;
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
  if (has_proxies_) read_proxies(&runs);
  return runs;
}

void RunStore::read_proxies(std::vector<RunRecord>* runs) const {
  std::map<std::string, RunRecord*> by_key;
  for (RunRecord& r : *runs) by_key[r.key] = &r;
  Statement select(db_, "SELECT key, name, value, seconds FROM proxies ORDER BY rowid", path_);
  int rc;
  const auto real = [&](int col) {
    return sqlite3_column_type(select.get(), col) == SQLITE_NULL ? std::numeric_limits<double>::quiet_NaN()
                                                                 : sqlite3_column_double(select.get(), col);
  };
  while ((rc = sqlite3_step(select.get())) == SQLITE_ROW) {
    const auto* key = reinterpret_cast<const char*>(sqlite3_column_text(select.get(), 0));
    const auto* name = reinterpret_cast<const char*>(sqlite3_column_text(select.get(), 1));
    if (!key || !name) continue;
    const auto it = by_key.find(key);
    if (it == by_key.end()) continue;
    it->second->proxies[name] = real(2);
    it->second->proxy_seconds[name] = real(3);
  }
  if (rc != SQLITE_DONE) throw IoError(path_ + ": " + sqlite3_errmsg(db_));
}

std::vector<RunRecord> read_runs(const std::vector<std::string>& paths) {
  std::map<std::string, size_t> index;
  std::vector<RunRecord> all;
  for (const std::string& path : paths) {
    for (RunRecord& r : RunStore(path, StoreAccess::kRead).runs()) {
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

std::string run_fingerprint(const std::string& text) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

std::string utc_timestamp() {
  const std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

std::string runs_to_csv(const std::vector<RunRecord>& runs) {
  const auto& fields = run_fields();
  std::set<std::string> proxies;
  for (const RunRecord& r : runs)
    for (const auto& entry : r.proxies) proxies.insert(entry.first);
  std::string out;
  for (size_t k = 0; k < fields.size(); ++k) out += std::string(k ? "," : "") + fields[k].name;
  for (const std::string& p : proxies) out += "," + p;
  out += "\n";
  for (const RunRecord& r : runs) {
    for (size_t k = 0; k < fields.size(); ++k) out += (k ? "," : "") + csv_cell(fields[k].get(r));
    for (const std::string& p : proxies) {
      const auto it = r.proxies.find(p);
      out += "," + (it == r.proxies.end() || std::isnan(it->second) ? std::string() : csv_cell(it->second));
    }
    out += "\n";
  }
  return out;
}

}  // namespace nnmass
