// Tests of the results store's guard against files nnmass did not write (sweep/store): another
// program's SQLite database and a file that is not SQLite are refused with one line naming the
// file, by the read-only reader (read_runs, as `nnmass report` uses it) and by the writer (as
// `nnmass sweep` opens --db), and are left byte-for-byte as they were, with no -wal/-shm/-journal
// file beside them; a real store reads back read-only without being changed. Torch-free.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <fstream>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "nnmass/error.h"
#include "nnmass/sweep/store.h"
#include "scratch_dir.h"

namespace nnmass {
namespace {

using test::fs::exists;
using test::read_bytes;
using test::ScratchDir;

// Runs `fn`, expecting an IoError whose one-line message contains `part`.
::testing::AssertionResult io_error_with(const std::function<void()>& fn, const std::string& part) {
  try {
    fn();
  } catch (const IoError& e) {
    const std::string what = e.what();
    if (what.find('\n') != std::string::npos) return ::testing::AssertionFailure() << "not one line: " << what;
    if (what.find(part) == std::string::npos)
      return ::testing::AssertionFailure() << "message lacks \"" << part << "\": " << what;
    return ::testing::AssertionSuccess();
  } catch (const std::exception& e) {
    return ::testing::AssertionFailure() << "another exception: " << e.what();
  }
  return ::testing::AssertionFailure() << "did not throw";
}

// True if SQLite left no side file (journal, WAL, shared memory) next to `path`.
bool no_side_files(const std::string& path) {
  return !exists(path + "-wal") && !exists(path + "-shm") && !exists(path + "-journal");
}

// Runs SQL on a database through the plain SQLite API (as another program would).
void run_sql(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* message = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message), SQLITE_OK) << (message ? message : "");
  sqlite3_free(message);
  sqlite3_close(db);
}

RunRecord record(const std::string& key, double acc) {
  RunRecord r;
  r.key = key;
  r.status = "ok";
  r.family = "mlp";
  r.depth = 4;
  r.width = 8;
  r.test_acc = acc;
  r.spec_json = R"({"family":"mlp"})";
  return r;
}

const std::string kExpected = " is not an nnmass results database (expected table runs with format " +
                              std::to_string(kStoreFormatVersion) + ", written by nnmass sweep); ";

TEST(StoreGuard, AnotherProgramsSqliteFileIsRefusedAndLeftUnchanged) {
  ScratchDir dir;
  const std::string path = dir.file("foo.sqlite");
  run_sql(path, "CREATE TABLE foo (a INTEGER, b TEXT); INSERT INTO foo VALUES (1, 'one'), (2, 'two');");
  ASSERT_TRUE(no_side_files(path));
  const std::string before = read_bytes(path);
  ASSERT_FALSE(before.empty());

  EXPECT_TRUE(io_error_with([&] { read_runs({path}); }, path + kExpected + "it holds foo but no table runs"));
  EXPECT_EQ(read_bytes(path), before) << "read_runs changed another program's database";
  EXPECT_TRUE(no_side_files(path));
  // Opening it to write a sweep into is refused the same way, before any table or journal mode
  // is set.
  EXPECT_TRUE(io_error_with([&] { RunStore store(path); }, path + kExpected + "it holds foo but no table runs"));
  EXPECT_EQ(read_bytes(path), before) << "the writer changed another program's database";
  EXPECT_TRUE(no_side_files(path));
}

TEST(StoreGuard, FileThatIsNotSqliteIsRefusedInOneLine) {
  ScratchDir dir;
  const std::string path = dir.file("notes.txt");
  std::string text;
  for (int i = 0; i < 300; ++i) text += "line " + std::to_string(i) + " of some text that is not a database\n";
  { std::ofstream(path, std::ios::binary) << text; }
  EXPECT_TRUE(io_error_with([&] { read_runs({path}); }, path + kExpected + "it is not an SQLite database file"));
  EXPECT_TRUE(io_error_with([&] { RunStore store(path); }, path + kExpected + "it is not an SQLite database file"));
  EXPECT_EQ(read_bytes(path), text);
  EXPECT_TRUE(no_side_files(path));
}

TEST(StoreGuard, EmptyFileIsNoStoreToReadButANewOneToWrite) {
  ScratchDir dir;
  const std::string path = dir.file("empty.sqlite");
  { std::ofstream touch(path); }
  EXPECT_TRUE(io_error_with([&] { read_runs({path}); }, path + kExpected + "it holds no tables"));
  EXPECT_EQ(read_bytes(path), "");
  {
    RunStore store(path);
    store.put(record("a", 0.5));
  }
  ASSERT_EQ(read_runs({path}).size(), 1u);
  EXPECT_TRUE(io_error_with([&] { read_runs({dir.file("missing.sqlite")}); },
                            "cannot read results database " + dir.file("missing.sqlite") + ": no such file"));
  EXPECT_FALSE(exists(dir.file("missing.sqlite")));
}

TEST(StoreGuard, RealStoreReadsBackReadOnlyUnchanged) {
  ScratchDir dir;
  const std::string path = dir.file("runs.sqlite");
  {
    RunStore store(path);
    store.put(record("a", 0.5));
    store.put(record("b", 0.75));
  }
  // The writer leaves a file that stands alone (rollback journal), so a read-only reader needs no
  // side files either.
  ASSERT_TRUE(no_side_files(path));
  const std::string before = read_bytes(path);
  {
    RunStore store(path, StoreAccess::kRead);
    const std::vector<RunRecord> runs = store.runs();
    ASSERT_EQ(runs.size(), 2u);
    EXPECT_EQ(runs[0].key, "a");
    EXPECT_EQ(runs[1].test_acc, 0.75);
    EXPECT_EQ(store.finished_keys().size(), 2u);
    EXPECT_TRUE(io_error_with([&] { store.put(record("c", 0.1)); }, path + ": opened read-only"));
  }
  const std::vector<RunRecord> runs = read_runs({path});
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[1].key, "b");
  EXPECT_EQ(read_bytes(path), before) << "reading changed the database";
  EXPECT_TRUE(no_side_files(path));
}

TEST(StoreGuard, StoreLackingPartsOfTheSchemaIsRefused) {
  ScratchDir dir;
  // nnmass's two tables, but no format recorded.
  const std::string unversioned = dir.file("unversioned.sqlite");
  run_sql(unversioned, "CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT); CREATE TABLE runs (key TEXT);");
  EXPECT_TRUE(io_error_with([&] { read_runs({unversioned}); },
                            unversioned + kExpected + "its table meta records no format_version"));
  // The format recorded, but columns missing from runs.
  const std::string narrow = dir.file("narrow.sqlite");
  run_sql(narrow, "CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT); CREATE TABLE runs (key TEXT);"
                  "INSERT INTO meta VALUES ('format_version', '" + std::to_string(kStoreFormatVersion) + "');");
  EXPECT_TRUE(io_error_with([&] { read_runs({narrow}); }, narrow + kExpected + "its table runs has no column status"));
  // Names and versions from the file are shown on one line.
  const std::string odd = dir.file("odd.sqlite");
  run_sql(odd, "CREATE TABLE \"two\nlines\" (a INTEGER);");
  EXPECT_TRUE(io_error_with([&] { read_runs({odd}); }, odd + kExpected + "it holds two?lines but no table runs"));
  const std::string version = dir.file("version.sqlite");
  {
    RunStore store(version);
  }
  run_sql(version, "UPDATE meta SET value = '1\n2' WHERE name = 'format_version';");
  EXPECT_TRUE(io_error_with([&] { read_runs({version}); }, version + ": results format version 1?2, this nnmass"));
  // `runs` as a view is not the table.
  const std::string view = dir.file("view.sqlite");
  run_sql(view, "CREATE TABLE meta (name TEXT, value TEXT); CREATE VIEW runs AS SELECT 1 AS key;");
  EXPECT_TRUE(io_error_with([&] { read_runs({view}); }, view + kExpected + "it holds meta, runs but no table runs"));
  // Another program's table beside a real store is fine.
  const std::string shared = dir.file("shared.sqlite");
  {
    RunStore store(shared);
    store.put(record("a", 0.5));
  }
  run_sql(shared, "CREATE TABLE notes (text TEXT);");
  EXPECT_EQ(read_runs({shared}).size(), 1u);
}

TEST(StoreGuard, NullKeysAndVersionDoNotCrash) {
  ScratchDir dir;
  const std::string path = dir.file("nulls.sqlite");
  {
    RunStore store(path);
    store.put(record("a", 0.5));
  }
  run_sql(path, "INSERT INTO runs (key, status) VALUES (NULL, 'ok');");
  {
    RunStore store(path, StoreAccess::kRead);
    EXPECT_EQ(store.finished_keys(), (std::set<std::string>{"a"}));
    EXPECT_EQ(store.runs().size(), 2u);
  }
  run_sql(path, "UPDATE meta SET value = NULL WHERE name = 'format_version';");
  EXPECT_TRUE(io_error_with([&] { read_runs({path}); }, path + kExpected + "its table meta records no format_version"));
}

}  // namespace
}  // namespace nnmass
