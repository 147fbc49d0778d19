// Accuracies from a user's table, joined to scored runs: `nnmass report --truth FILE.csv`. Scored
// runs (nnmass score) have no test accuracy of their own; a benchmark's published accuracies (the
// NATS-Bench table of NAS-Bench-201, keyed by arch string) or a user's own give them one. The key
// column is matched against a run's architecture text (runs.csv column `cells`: the arch string
// for nb201). Torch-free.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "nnmass/sweep/store.h"

namespace nnmass {

struct TruthTable {
  std::string file, key_column, acc_column;
  bool percent = false;               // the column held percentages (now divided by 100)
  std::map<std::string, double> acc;  // key -> accuracy in [0, 1]
};

// Reads a CSV table (header row; RFC 4180 quoting). Key column: `key_column`, or the first of
// arch, arch_str, arch_string, architecture, cells; accuracy: `acc_column`, or the first of
// test_acc, test_accuracy, accuracy, acc, top1. Values above 1 mean percentages. IoError naming the
// file, row and column for anything malformed (a missing column, a non-number, a repeated key).
TruthTable read_truth_csv(const std::string& path, const std::string& key_column = "",
                          const std::string& acc_column = "");

// Sets each run's test accuracy from the table (runs whose architecture text it lacks get NaN and
// drop out of the statistics). Returns how many runs matched.
size_t join_truth(std::vector<RunRecord>& runs, const TruthTable& truth);

// One CSV line split into fields (quotes removed, "" inside quotes = "); IoError on an unclosed quote.
std::vector<std::string> split_csv_line(const std::string& line, const std::string& where);

}  // namespace nnmass
