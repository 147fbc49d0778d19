// Tests of sweeps (sweep/): grid expansion and run keys, sharding, the SQLite results store
// (round trip of every field, NaN as NULL, replace, reopen, merging shards, CSV export, refusal of
// foreign files and other format versions), and run_sweep: a sweep killed after two runs resumes
// and ends with exactly the table of an uninterrupted sweep; two jobs at once give the same
// values as one; a run that fails becomes a "failed" row and the sweep goes on.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "nnmass/cost.h"
#include "nnmass/data/dataset.h"
#include "nnmass/data/synthetic.h"
#include "nnmass/error.h"
#include "nnmass/mass.h"
#include "nnmass/spec.h"
#include "nnmass/spec_json.h"
#include "nnmass/sweep/store.h"
#include "scratch_dir.h"
#include "sweep_test_support.h"
#include "nnmass/sweep/sweep.h"

namespace nnmass {
namespace {

namespace fs = std::filesystem;

using test::ScratchDir;



// A one-cell DenseNet-type MLP for 2-D points and two classes.
Spec mlp(int depth, int width, int tc) {
  Spec s;
  s.family = Family::kMlp;
  s.input = {2};
  s.classes = 2;
  s.cells = {Cell{depth, width, tc}};
  validate(s);
  return s;
}


// A quick recipe: one epoch of Adam, batches of 60 (8 steps), LDI on 16 test points.
SweepConfig tiny_config() {
  SweepConfig c;
  c.specs = {mlp(4, 8, 0), mlp(4, 8, 2), mlp(5, 4, 1)};
  c.seeds = {3, 0, 7};  // deliberately unsorted: the plan keeps the given order
  c.train.epochs = 1;
  c.train.batch_size = 60;
  c.train.eval_batch_size = 120;
  c.ldi_samples = 16;
  c.jobs = 1;
  return c;
}

bool same_value(const FieldValue& a, const FieldValue& b) {
  if (a.index() != b.index()) return false;
  if (auto* x = std::get_if<double>(&a)) {
    const double y = std::get<double>(b);
    return (std::isnan(*x) && std::isnan(y)) || *x == y;  // bit-exact (NaN = NaN: both "missing")
  }
  return a == b;
}

std::string show(const FieldValue& v) {
  if (auto* i = std::get_if<int64_t>(&v)) return std::to_string(*i);
  if (auto* d = std::get_if<double>(&v)) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", *d);
    return buf;
  }
  return "\"" + std::get<std::string>(v) + "\"";
}

// Every field of run_fields() equal (doubles bit for bit), except those named in `skip`.
::testing::AssertionResult same_record(const RunRecord& a, const RunRecord& b,
                                       const std::set<std::string>& skip = {}) {
  for (const RunField& f : run_fields()) {
    if (skip.count(f.name)) continue;
    if (!same_value(f.get(a), f.get(b)))
      return ::testing::AssertionFailure() << "key " << a.key << ": field " << f.name << " differs: "
                                           << show(f.get(a)) << " vs " << show(f.get(b));
  }
  return ::testing::AssertionSuccess();
}

std::map<std::string, RunRecord> by_key(const std::vector<RunRecord>& runs) {
  std::map<std::string, RunRecord> m;
  for (const RunRecord& r : runs) m[r.key] = r;
  return m;
}

// A record with a distinct value in every field (so an accessor mapped to the wrong member shows).
RunRecord full_record(const std::string& key, int i) {
  RunRecord r;
  r.key = key;
  r.status = "ok";
  r.error = "";
  r.family = "mlp";
  r.depth = 10 + i;
  r.width = 20 + i;
  r.tc = 30 + i;
  r.cells = std::to_string(10 + i) + "x" + std::to_string(20 + i) + "x" + std::to_string(30 + i);
  r.seed = 40 + i;
  r.nn_mass = 123.456 + i;
  r.density = 1.0 / 3.0 + i;      // not representable in decimal: checks a binary round trip
  r.params = (int64_t{1} << 40) + 50 + i;  // beyond 32 bits
  r.macs = 60 + i;
  r.flops = 70 + i;
  r.ldi_mean = 0.1 + i;
  r.ldi_std = 1e-300 * (i + 1);  // tiny but normal
  r.train_seconds = 2.5 + i;
  r.test_acc = 0.875 - 0.01 * i;
  r.test_loss = 0.3 + i;
  r.epochs = 80 + i;
  r.data = "fashion-mnist";
  r.spec_json = R"({"family":"mlp","name":"it's, \"quoted\""})";
  r.links_json = "[[1,2],[3]]";
  r.recipe_json = R"({"lr":0.001})";
  r.nnmass_version = "0.1.0";
  r.finished_at = "2024-01-0" + std::to_string(1 + i % 9) + "T00:00:00Z";
  return r;
}

// ---------------------------------------------------------------------------------------------
// Planning and sharding.

TEST(SweepPlan, GridIsSpecMajorWithSeedsInnermostAndKeysAreStable) {
  const DataSplit data = test::tiny_circle();
  SweepConfig config = tiny_config();
  config.seeds = {5, 1, 9, 2};
  const std::vector<SweepRun> runs = plan_sweep(config, data);
  ASSERT_EQ(runs.size(), 12u);  // 3 specs x 4 seeds
  std::set<std::string> keys;
  for (size_t i = 0; i < runs.size(); ++i) {
    EXPECT_EQ(spec_to_json(runs[i].spec), spec_to_json(config.specs[i / 4])) << i;
    EXPECT_EQ(runs[i].seed, config.seeds[i % 4]) << i;
    EXPECT_TRUE(std::regex_match(runs[i].key, std::regex("[0-9a-f]{16}"))) << runs[i].key;
    keys.insert(runs[i].key);
  }
  EXPECT_EQ(keys.size(), 12u) << "keys must be distinct";

  // Determinism: the same config (a fresh copy, same data) gives the same keys in the same order.
  SweepConfig fresh = tiny_config();
  fresh.seeds = config.seeds;
  const std::vector<SweepRun> again = plan_sweep(fresh, test::tiny_circle());
  ASSERT_EQ(again.size(), runs.size());
  for (size_t i = 0; i < runs.size(); ++i) EXPECT_EQ(again[i].key, runs[i].key) << i;

  // Anything that changes the result changes every key: the recipe, the data, the init.
  const auto all_keys_change = [&](const SweepConfig& other, const DataSplit& other_data, const char* what) {
    const std::vector<SweepRun> changed = plan_sweep(other, other_data);
    ASSERT_EQ(changed.size(), runs.size()) << what;
    for (const SweepRun& r : changed) EXPECT_EQ(keys.count(r.key), 0u) << what << ": key " << r.key << " unchanged";
  };
  SweepConfig epochs = config;
  epochs.train.epochs = 2;
  all_keys_change(epochs, data, "epochs");
  SweepConfig lr = config;
  lr.train.lr = 2e-3;
  all_keys_change(lr, data, "lr");
  SweepConfig init = config;
  init.init = InitKind::kOrthogonal;
  all_keys_change(init, data, "init");
  DataSplit renamed = data;
  renamed.name = "circle-other";
  all_keys_change(config, renamed, "data name");

  // jobs only changes how the runs are scheduled, not what they compute: same keys.
  SweepConfig jobs = config;
  jobs.jobs = 4;
  const std::vector<SweepRun> scheduled = plan_sweep(jobs, data);
  for (size_t i = 0; i < runs.size(); ++i) EXPECT_EQ(scheduled[i].key, runs[i].key) << i;

  // An empty grid is an error, not an empty sweep.
  SweepConfig no_specs = config;
  no_specs.specs.clear();
  EXPECT_THROW(plan_sweep(no_specs, data), SpecError);
  SweepConfig no_seeds = config;
  no_seeds.seeds.clear();
  EXPECT_THROW(plan_sweep(no_seeds, data), SpecError);
}

TEST(SweepPlan, ShardsPartitionTheRunsInOrder) {
  SweepConfig config = tiny_config();
  config.seeds = {0, 1, 2, 3};
  const std::vector<SweepRun> runs = plan_sweep(config, test::tiny_circle());
  ASSERT_EQ(runs.size(), 12u);
  std::map<std::string, size_t> position;
  for (size_t i = 0; i < runs.size(); ++i) position[runs[i].key] = i;

  for (int n = 1; n <= 7; ++n) {
    std::map<std::string, int> seen;  // key -> how many shards hold it
    size_t total = 0;
    for (int k = 0; k < n; ++k) {
      const std::vector<SweepRun> shard = shard_runs(runs, k, n);
      total += shard.size();
      // Round-robin: shard k holds runs k, k+n, k+2n, ...: sizes differ by at most one.
      EXPECT_EQ(shard.size(), (runs.size() - k + n - 1) / n) << k << "/" << n;
      for (size_t j = 0; j < shard.size(); ++j) {
        ++seen[shard[j].key];
        const size_t p = position.at(shard[j].key);
        EXPECT_EQ(p, static_cast<size_t>(k) + j * n) << k << "/" << n;  // order preserved
        EXPECT_EQ(shard[j].seed, runs[p].seed);
        EXPECT_EQ(spec_to_json(shard[j].spec), spec_to_json(runs[p].spec));
      }
    }
    EXPECT_EQ(total, runs.size()) << "n=" << n;
    EXPECT_EQ(seen.size(), runs.size()) << "n=" << n;  // the union is every run
    for (const auto& [key, count] : seen) EXPECT_EQ(count, 1) << "n=" << n << " key " << key;
  }
  // More shards than runs: the extra shards are empty, not an error.
  EXPECT_TRUE(shard_runs(runs, 12, 13).empty());
  EXPECT_EQ(shard_runs(runs, 0, 1).size(), runs.size());

  for (const auto& [k, n] : {std::pair{3, 3}, std::pair{4, 3}, std::pair{0, 0}, std::pair{-1, 3}, std::pair{0, -2}}) {
    EXPECT_THROW(shard_runs(runs, k, n), SpecError) << k << "/" << n;
  }
}

// ---------------------------------------------------------------------------------------------
// The store.

TEST(RunStore, FieldListMatchesTheRecord) {
  // The documented column order (store.h's RunRecord order), which the CSV header follows.
  const std::vector<std::string> expected = {
      "key", "status", "error", "family", "depth", "width", "tc", "cells", "seed", "nn_mass", "density",
      "params", "macs", "flops", "ldi_mean", "ldi_std", "train_seconds", "test_acc", "test_loss", "epochs",
      "data", "spec_json", "links_json", "recipe_json", "nnmass_version", "finished_at"};
  const auto& fields = run_fields();
  ASSERT_EQ(fields.size(), expected.size());
  for (size_t k = 0; k < fields.size(); ++k) EXPECT_EQ(fields[k].name, expected[k]) << k;
  // Each accessor pair reads and writes its own member only: copy one field from a full record
  // into a default one; every other field must keep its default.
  const RunRecord full = full_record("k", 1), blank;
  for (size_t k = 0; k < fields.size(); ++k) {
    RunRecord r;
    fields[k].set(r, fields[k].get(full));
    EXPECT_TRUE(same_value(fields[k].get(r), fields[k].get(full))) << fields[k].name;
    for (size_t j = 0; j < fields.size(); ++j)
      if (j != k) {
        EXPECT_TRUE(same_value(fields[j].get(r), fields[j].get(blank))) << fields[k].name << " wrote " << fields[j].name;
      }
    const std::string type = fields[k].sql_type;
    const FieldValue v = fields[k].get(full);
    EXPECT_EQ(type, std::holds_alternative<int64_t>(v) ? "INTEGER" : std::holds_alternative<double>(v) ? "REAL" : "TEXT")
        << fields[k].name;
  }
}

TEST(RunStore, RoundTripReplaceReopenAndMerge) {
  ScratchDir dir;
  const std::string path = dir.file("nested/folder/runs.sqlite");  // parent folders are created
  std::vector<RunRecord> written;
  for (int i = 0; i < 4; ++i) written.push_back(full_record("key" + std::to_string(i), i));
  written[1].ldi_mean = written[1].ldi_std = std::numeric_limits<double>::quiet_NaN();  // CNN: no LDI
  written[2].status = "failed";
  written[2].error = "training diverged: the loss is nan at epoch 1";
  written[3].test_loss = std::numeric_limits<double>::infinity();
  written[3].family = "cnn σ̄ ünïcödé";
  {
    RunStore store(path);
    EXPECT_TRUE(store.runs().empty());
    EXPECT_TRUE(store.finished_keys().empty());
    for (const RunRecord& r : written) store.put(r);
    const std::vector<RunRecord> read = store.runs();
    ASSERT_EQ(read.size(), written.size());
    for (size_t i = 0; i < read.size(); ++i) EXPECT_TRUE(same_record(read[i], written[i]));  // insertion order
    EXPECT_TRUE(std::isnan(read[1].ldi_mean) && std::isnan(read[1].ldi_std));
    EXPECT_EQ(store.finished_keys(), (std::set<std::string>{"key0", "key1", "key3"}));  // status ok only
  }
  // NaN is stored as SQL NULL (so SQL aggregates and pandas see "missing"), not as a number.
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT ldi_mean IS NULL, ldi_std IS NULL, test_acc FROM runs WHERE key = 'key1'", -1, &st, nullptr), SQLITE_OK);
    ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    EXPECT_EQ(sqlite3_column_int(st, 0), 1);
    EXPECT_EQ(sqlite3_column_int(st, 1), 1);
    EXPECT_EQ(sqlite3_column_double(st, 2), written[1].test_acc);
    sqlite3_finalize(st);
    sqlite3_close(db);
  }
  // Reopen: the data is still there; put with an existing key replaces that row.
  RunRecord retried = written[2];
  retried.status = "ok";
  retried.error = "";
  retried.test_acc = 0.5;
  {
    RunStore store(path);
    ASSERT_EQ(store.runs().size(), 4u);
    for (const RunRecord& r : store.runs()) EXPECT_TRUE(same_record(r, by_key(written).at(r.key)));
    store.put(retried);
    const auto read = by_key(store.runs());
    ASSERT_EQ(store.runs().size(), 4u);  // replaced, not added
    EXPECT_TRUE(same_record(read.at("key2"), retried));
    EXPECT_EQ(store.finished_keys().size(), 4u);
  }

  // Two shard files: the later file wins on a repeated key; every key once.
  const std::string other = dir.file("other.sqlite");
  RunRecord newer = written[0];
  newer.test_acc = 0.125;
  newer.finished_at = "2030-01-01T00:00:00Z";
  const RunRecord extra = full_record("key9", 9);
  {
    RunStore store(other);
    store.put(newer);
    store.put(extra);
  }
  const std::vector<RunRecord> merged = read_runs({path, other});
  ASSERT_EQ(merged.size(), 5u);
  const auto m = by_key(merged);
  EXPECT_TRUE(same_record(m.at("key0"), newer));
  EXPECT_TRUE(same_record(m.at("key1"), written[1]));
  EXPECT_TRUE(same_record(m.at("key2"), retried));
  EXPECT_TRUE(same_record(m.at("key3"), written[3]));
  EXPECT_TRUE(same_record(m.at("key9"), extra));
  // The other order: the first file's key0 wins now.
  EXPECT_TRUE(same_record(by_key(read_runs({other, path})).at("key0"), written[0]));
  // A missing file is an error, and read_runs does not create it.
  EXPECT_THROW(read_runs({path, dir.file("missing.sqlite")}), IoError);
  EXPECT_FALSE(fs::exists(dir.file("missing.sqlite")));
}

// A minimal RFC 4180 reader: quoted fields may hold commas, doubled quotes and newlines.
std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string cell;
  bool quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') cell += '"', ++i;
      else if (c == '"') quoted = false;
      else cell += c;
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      row.push_back(cell), cell.clear();
    } else if (c == '\n') {
      row.push_back(cell), cell.clear();
      rows.push_back(row), row.clear();
    } else {
      cell += c;
    }
  }
  EXPECT_TRUE(cell.empty() && row.empty()) << "CSV does not end with a newline";
  return rows;
}

TEST(RunStore, CsvHasHeaderAndOneQuotedLinePerRun) {
  std::vector<RunRecord> runs = {full_record("a", 0), full_record("b", 1), full_record("c", 2)};
  runs[1].error = "bad, \"very\" bad\nsecond line";
  runs[1].ldi_mean = std::numeric_limits<double>::quiet_NaN();
  const std::string csv = runs_to_csv(runs);

  // The header: every field name, in run_fields() order.
  std::string header;
  for (const RunField& f : run_fields()) header += (header.empty() ? "" : ",") + std::string(f.name);
  EXPECT_EQ(csv.substr(0, csv.find('\n')), header);
  // The plain record (no newline inside any field) takes exactly one physical line.
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 1 + 3 + 1);  // header, 3 runs, 1 inner newline
  // The field with commas and quotes is quoted, quotes doubled.
  EXPECT_NE(csv.find(R"("bad, ""very"" bad)"), std::string::npos) << csv;
  EXPECT_NE(csv.find(R"("{""family"":""mlp"",""name"":""it's, \""quoted\""""}")"), std::string::npos) << csv;

  const auto rows = parse_csv(csv);
  ASSERT_EQ(rows.size(), 4u);
  const auto& fields = run_fields();
  for (const auto& row : rows) ASSERT_EQ(row.size(), fields.size());
  for (size_t i = 0; i < runs.size(); ++i)
    for (size_t k = 0; k < fields.size(); ++k) {
      const FieldValue v = fields[k].get(runs[i]);
      const std::string& cell = rows[i + 1][k];
      if (auto* n = std::get_if<int64_t>(&v)) EXPECT_EQ(cell, std::to_string(*n)) << fields[k].name;
      else if (auto* d = std::get_if<double>(&v)) {
        const double back = std::strtod(cell.c_str(), nullptr);  // 17 digits: exact round trip
        EXPECT_TRUE(std::isnan(*d) ? std::isnan(back) : back == *d) << fields[k].name << ": " << cell;
      } else EXPECT_EQ(cell, std::get<std::string>(v)) << fields[k].name;
    }
  // No runs: the header alone.
  EXPECT_EQ(runs_to_csv({}), header + "\n");
}

TEST(RunStore, RefusesForeignFilesAndOtherFormatVersions) {
  ScratchDir dir;
  // Not a database: garbage bytes (no SQLite header).
  const std::string garbage = dir.file("garbage.sqlite");
  std::string bytes;
  for (int i = 0; i < 8192; ++i) bytes += static_cast<char>((i * 7919 + 13) & 0xff);
  std::ofstream(garbage, std::ios::binary) << bytes;
  try {
    RunStore store(garbage);
    ADD_FAILURE() << "opened a file of garbage";
  } catch (const IoError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(garbage), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
  }
  EXPECT_EQ(test::read_bytes(garbage), bytes) << "the foreign file was modified";
  EXPECT_THROW(read_runs({garbage}), IoError);

  // A results database written by another format version.
  const std::string future = dir.file("future.sqlite");
  {
    RunStore store(future);
    store.put(full_record("x", 0));
  }
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(future.c_str(), &db), SQLITE_OK);
    const std::string sql = "UPDATE meta SET value = '" + std::to_string(kStoreFormatVersion + 1) +
                            "' WHERE name = 'format_version'";
    ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    EXPECT_EQ(sqlite3_changes(db), 1);
    sqlite3_close(db);
  }
  try {
    RunStore store(future);
    ADD_FAILURE() << "opened a database of another format version";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("version " + std::to_string(kStoreFormatVersion + 1)), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(read_runs({future}), IoError);
  // A folder is not a database either.
  EXPECT_THROW(RunStore store(dir.file("")), IoError);
}

// ---------------------------------------------------------------------------------------------
// Running sweeps.

// One intra-op thread: bit-identical results between separate executions need the same reduction
// order (and the machine is shared with other tests).
class RunSweepTest : public ::testing::Test {
 protected:
  void SetUp() override { torch::set_num_threads(1); }
};

struct Killed {};  // thrown by the progress callback to simulate a kill between two runs

TEST_F(RunSweepTest, KilledSweepResumesToTheUninterruptedTableAndJobsDoNotChangeIt) {
  ScratchDir dir;
  const DataSplit data = test::tiny_circle();
  SweepConfig config = tiny_config();
  config.seeds = {3, 0};
  const std::vector<SweepRun> runs = plan_sweep(config, data);  // 3 specs x 2 seeds
  const int total = static_cast<int>(runs.size());
  ASSERT_EQ(total, 6);
  const std::set<std::string> timing = {"train_seconds", "finished_at"};  // the only fields that may differ

  // A: uninterrupted.
  RunStore a(dir.file("a.sqlite"));
  std::vector<int> done_a;
  EXPECT_EQ(run_sweep(runs, config, data, a, [&](const RunRecord&, int done, int t) {
              EXPECT_EQ(t, total);
              done_a.push_back(done);
            }),
            total);
  EXPECT_EQ(done_a, (std::vector<int>{1, 2, 3, 4, 5, 6}));
  const std::vector<RunRecord> table_a = a.runs();
  ASSERT_EQ(table_a.size(), runs.size());
  const auto rows_a = by_key(table_a);  // packs store their runs together, not in plan order
  for (size_t i = 0; i < runs.size(); ++i) {
    ASSERT_TRUE(rows_a.count(runs[i].key));
    const RunRecord& r = rows_a.at(runs[i].key);
    const Spec& spec = runs[i].spec;
    SCOPED_TRACE(r.cells + " seed " + std::to_string(r.seed));
    EXPECT_EQ(r.status, "ok") << r.error;
    EXPECT_EQ(r.error, "");
    EXPECT_EQ(r.seed, static_cast<int64_t>(runs[i].seed));
    EXPECT_EQ(r.family, "mlp");
    EXPECT_EQ(r.depth, spec.cells[0].depth);
    EXPECT_EQ(r.width, spec.cells[0].width);
    EXPECT_EQ(r.tc, spec.cells[0].tc);
    EXPECT_EQ(r.cells, std::to_string(spec.cells[0].depth) + "x" + std::to_string(spec.cells[0].width) + "x" +
                           std::to_string(spec.cells[0].tc));
    // The cost columns are core/'s closed forms of the run's spec.
    EXPECT_EQ(r.nn_mass, nn_mass(spec));
    EXPECT_EQ(r.density, average_density(spec));
    const Cost cost = count_cost(spec);
    EXPECT_EQ(r.params, cost.params);
    EXPECT_EQ(r.macs, cost.macs);
    EXPECT_EQ(r.flops, cost.flops);
    EXPECT_TRUE(std::isfinite(r.ldi_mean) && r.ldi_mean > 0) << r.ldi_mean;  // MLP, ldi_samples > 0
    EXPECT_TRUE(std::isfinite(r.ldi_std) && r.ldi_std >= 0) << r.ldi_std;
    EXPECT_GE(r.test_acc, 0.0);
    EXPECT_LE(r.test_acc, 1.0);
    EXPECT_TRUE(std::isfinite(r.test_loss) && r.test_loss > 0) << r.test_loss;
    EXPECT_GE(r.train_seconds, 0.0);
    EXPECT_EQ(r.epochs, 1);
    EXPECT_EQ(r.data, "circle-tiny");
    EXPECT_EQ(r.nnmass_version, NNMASS_VERSION);
    EXPECT_TRUE(std::regex_match(r.finished_at, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)"))) << r.finished_at;
    EXPECT_EQ(spec_to_json(spec_from_json(nlohmann::json::parse(r.spec_json))), spec_to_json(spec));
    EXPECT_NO_THROW(links_from_json(nlohmann::json::parse(r.links_json), spec)) << r.links_json;  // the drawn links
    EXPECT_EQ(nlohmann::json::parse(r.recipe_json)["epochs"], 1);
  }
  // Different seeds of one architecture train differently (the seed reaches the run).
  const RunRecord& seed3 = rows_a.at(runs[0].key), &seed0 = rows_a.at(runs[1].key);
  EXPECT_NE(seed3.test_loss, seed0.test_loss);
  EXPECT_NE(seed3.links_json + std::to_string(seed3.ldi_mean), seed0.links_json + std::to_string(seed0.ldi_mean));
  // A finished sweep run again executes nothing.
  EXPECT_EQ(run_sweep(runs, config, data, a, [&](const RunRecord&, int, int) { ADD_FAILURE() << "ran again"; }), 0);

  // B: killed after two runs (the callback runs after the record is stored), then resumed.
  std::set<std::string> stored_before_kill;
  {
    RunStore b(dir.file("b.sqlite"));
    int calls = 0;
    EXPECT_THROW(run_sweep(runs, config, data, b,
                           [&](const RunRecord& r, int, int) {
                             stored_before_kill.insert(r.key);
                             if (++calls == 2) throw Killed{};
                           }),
                 Killed);
    EXPECT_EQ(b.runs().size(), 2u);
    EXPECT_EQ(b.finished_keys().size(), 2u);
  }
  RunStore b(dir.file("b.sqlite"));  // reopened, as a new process would
  std::vector<int> done_b;
  std::set<std::string> executed;
  EXPECT_EQ(run_sweep(runs, config, data, b, [&](const RunRecord& r, int done, int t) {
              EXPECT_EQ(t, total);
              done_b.push_back(done);
              executed.insert(r.key);
            }),
            total - 2);
  EXPECT_EQ(done_b, (std::vector<int>{3, 4, 5, 6}));  // counts on from the finished runs
  ASSERT_EQ(stored_before_kill.size(), 2u);
  for (const std::string& key : stored_before_kill) EXPECT_EQ(executed.count(key), 0u) << "a finished run ran again";
  const auto table_b = by_key(b.runs());
  ASSERT_EQ(table_b.size(), runs.size());
  for (const RunRecord& r : table_a) EXPECT_TRUE(same_record(r, table_b.at(r.key), timing));

  // C: two runs at once: the same values (rows may be stored in another order).
  config.jobs = 2;
  RunStore c(dir.file("c.sqlite"));
  std::set<int> done_c;
  EXPECT_EQ(run_sweep(runs, config, data, c, [&](const RunRecord&, int done, int) { done_c.insert(done); }), total);
  EXPECT_EQ(done_c, (std::set<int>{1, 2, 3, 4, 5, 6}));
  const auto table_c = by_key(c.runs());
  ASSERT_EQ(table_c.size(), runs.size());
  for (const RunRecord& r : table_a) EXPECT_TRUE(same_record(r, table_c.at(r.key), timing));

  // D: every run alone (--pack 1, libtorch modules): the same rows under the same keys; the
  // trained numbers equal within float rounding (another summation order).
  config.jobs = 1;
  config.pack = 1;
  RunStore d(dir.file("d.sqlite"));
  EXPECT_EQ(run_sweep(runs, config, data, d, nullptr), total);
  const std::vector<RunRecord> table_d = d.runs();
  for (size_t i = 0; i < runs.size(); ++i) EXPECT_EQ(table_d[i].key, runs[i].key);  // alone: plan order
  const std::set<std::string> trained = {"train_seconds", "finished_at", "test_loss", "test_acc"};
  for (const RunRecord& r : table_d) {
    const RunRecord& packed = rows_a.at(r.key);
    EXPECT_TRUE(same_record(r, packed, trained));
    EXPECT_NEAR(packed.test_loss, r.test_loss, 1e-5 * r.test_loss) << r.cells << " seed " << r.seed;
    EXPECT_EQ(packed.test_acc, r.test_acc) << r.cells << " seed " << r.seed;
  }
}

TEST_F(RunSweepTest, FailedRunsBecomeRowsAndTheSweepGoesOn) {
  ScratchDir dir;
  const DataSplit data = test::tiny_circle();
  SweepConfig config = tiny_config();
  config.specs = {mlp(4, 8, 0), mlp(5, 4, 1)};
  config.seeds = {0, 1};
  config.train.optimizer = "sgd";
  config.train.lr = 1e12;  // every run diverges (DivergedError) in its first steps
  const std::vector<SweepRun> runs = plan_sweep(config, data);
  RunStore store(dir.file("diverge.sqlite"));
  int failed_callbacks = 0;
  EXPECT_EQ(run_sweep(runs, config, data, store,
                      [&](const RunRecord& r, int, int) { failed_callbacks += r.status == "failed"; }),
            4);
  EXPECT_EQ(failed_callbacks, 4);
  const std::vector<RunRecord> rows = store.runs();
  ASSERT_EQ(rows.size(), 4u);  // one row per run, none lost
  for (size_t i = 0; i < rows.size(); ++i) {
    const RunRecord& r = rows[i];
    EXPECT_EQ(r.key, runs[i].key);
    EXPECT_EQ(r.status, "failed");
    EXPECT_NE(r.error.find("diverged"), std::string::npos) << r.error;
    EXPECT_EQ(r.error.find('\n'), std::string::npos) << r.error;
    // What was known before training is still recorded.
    EXPECT_EQ(r.nn_mass, nn_mass(runs[i].spec));
    EXPECT_EQ(r.params, count_cost(runs[i].spec).params);
    EXPECT_TRUE(std::isfinite(r.ldi_mean)) << "LDI is measured at initialization, before the failure";
    EXPECT_FALSE(r.finished_at.empty());
  }
  EXPECT_TRUE(store.finished_keys().empty());
  // Failed runs are not finished: running the sweep again retries them (and replaces their rows).
  EXPECT_EQ(run_sweep(runs, config, data, store, nullptr), 4);
  EXPECT_EQ(store.runs().size(), 4u);

  // With a sane learning rate the same grid trains: the failure was the recipe's, and a new
  // recipe is a new set of keys, so the failed rows stay as they were.
  config.train.optimizer = "adam";
  config.train.lr = 1e-3;
  const std::vector<SweepRun> sane = plan_sweep(config, data);
  EXPECT_EQ(run_sweep(sane, config, data, store, nullptr), 4);
  int ok = 0, failed = 0;
  for (const RunRecord& r : store.runs()) (r.status == "ok" ? ok : failed)++;
  EXPECT_EQ(ok, 4);
  EXPECT_EQ(failed, 4);
}


// Tiny grey 8x8 images of 3 classes (class c: a bright c-th third of the rows), 60 train / 12 test.
DataSplit tiny_images() {
  const auto make = [](int64_t n) {
    torch::Tensor x = torch::randint(0, 60, {n, 1, 8, 8}, torch::kUInt8);
    torch::Tensor y = torch::arange(n) % 3;
    for (int64_t i = 0; i < n; ++i) x[i].narrow(1, 3 * y[i].item<int64_t>(), 2).add_(150);
    return Dataset{x, y, {}, {}};
  };
  torch::manual_seed(5);
  DataSplit d;
  d.name = "images-tiny";
  d.train = make(60);
  d.test = make(12);
  d.classes = 3;
  d.shape = {1, 8, 8};
  return d;
}

// Convolutional networks get their LDI at initialization too (conv_isometry.h); the method joins
// a run's key only where conv LDI is measured, so earlier databases (MLPs, CNNs without LDI) keep
// their keys.
TEST_F(RunSweepTest, ConvNetworksGetLdiAndTheMethodKeysOnlyTheirMeasuredRuns) {
  const DataSplit data = tiny_images();
  Spec cnn;
  cnn.family = Family::kCnn;
  cnn.input = {1, 8, 8};
  cnn.classes = 3;
  cnn.cells = {{3, 4, 2}, {3, 4, 2}, {3, 4, 2}};
  cnn.head = Head::kReference;
  validate(cnn);
  SweepConfig config;
  config.specs = {cnn};
  config.seeds = {0, 1};
  config.train.epochs = 1;
  config.train.batch_size = 20;
  config.conv_ldi_samples = 4;
  const auto keys = [&](const SweepConfig& c) {
    std::vector<std::string> k;
    for (const SweepRun& r : plan_sweep(c, data)) k.push_back(r.key);
    return k;
  };
  SweepConfig lanczos = config;
  lanczos.ldi_method = JacobianMethod::kLanczos;
  EXPECT_NE(keys(config), keys(lanczos));
  SweepConfig off = config, off_lanczos = config;
  off.conv_ldi_samples = off_lanczos.conv_ldi_samples = 0;
  off_lanczos.ldi_method = JacobianMethod::kLanczos;
  EXPECT_EQ(keys(off), keys(off_lanczos));
  SweepConfig mlps = tiny_config(), mlps_lanczos = tiny_config();
  mlps_lanczos.ldi_method = JacobianMethod::kLanczos;
  const DataSplit circle = test::tiny_circle();
  mlps_lanczos.conv_ldi_samples = 99;  // not the MLPs' count either
  for (size_t i = 0; i < 9; ++i) EXPECT_EQ(plan_sweep(mlps, circle)[i].key, plan_sweep(mlps_lanczos, circle)[i].key);
  SweepConfig more = config;
  more.ldi_samples = 99;  // the MLPs' count: not the CNN's
  EXPECT_EQ(keys(config), keys(more));

  ScratchDir dir;
  RunStore store(dir.file("cnn.sqlite"));
  const std::vector<SweepRun> runs = plan_sweep(config, data);
  EXPECT_EQ(run_sweep(runs, config, data, store, nullptr), 2);
  for (const RunRecord& r : store.runs()) {
    EXPECT_EQ(r.status, "ok") << r.error;
    EXPECT_TRUE(std::isfinite(r.ldi_mean) && r.ldi_mean > 0) << r.ldi_mean;
    EXPECT_TRUE(std::isfinite(r.ldi_std) && r.ldi_std > 0) << r.ldi_std;
  }
  // The same figure as nnmass isometry's (same seed, same images, exact at these sizes).
  Network net = build_network(cnn, nullptr, InitOptions{InitKind::kDefault, 1.0, runs[0].seed});
  const ConvIsometryResult direct = measure_conv_isometry(*net, data.test.input_slice(0, 4), {});
  EXPECT_NEAR(by_key(store.runs()).at(runs[0].key).ldi_mean, direct.sums.mean(), 1e-6 * direct.sums.mean());
}

}  // namespace
}  // namespace nnmass
