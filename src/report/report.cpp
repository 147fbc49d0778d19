// The sweep report (Markdown + gnuplot plots); see report.h.
#include "nnmass/report/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <queue>
#include <set>

#include <fmt/format.h>

#include "nnmass/error.h"
#include "nnmass/file_io.h"

namespace nnmass {
namespace {

namespace fs = std::filesystem;

using Getter = double (*)(const RunRecord&);

// Group labels in natural order: numbers by value (depth 4 < 8 < 16), other text alphabetically.
struct GroupLess {
  static bool number(const std::string& s, double* v) {
    char* end = nullptr;
    *v = std::strtod(s.c_str(), &end);
    return !s.empty() && *end == '\0';
  }
  bool operator()(const std::string& a, const std::string& b) const {
    double x = 0, y = 0;
    const bool na = number(a, &x), nb = number(b, &y);
    if (na && nb) return x < y;
    if (na != nb) return na;  // numbers first
    return a < b;
  }
};

// A path inside a single-quoted gnuplot string ('' stands for ').
std::string gnuplot_quoted(const std::string& path) {
  std::string q = "'";
  for (char c : path) q += c == '\'' ? std::string("''") : std::string(1, c);
  return q + "'";
}

// A path as one single-quoted shell word ('\'' stands for ').
std::string shell_quoted(const std::string& path) {
  std::string q = "'";
  for (char c : path) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

struct Predictor {
  std::string name;
  std::function<double(const RunRecord&)> get;
};

// The proxies' usual order (spec/proxies.md); others follow alphabetically.
constexpr const char* kProxyOrder[] = {"synflow", "grad_norm", "snip",  "grasp", "fisher",
                                       "jacob_cov", "naswot",  "zico", "zen",   "meco"};

// NN-Mass, the counts, LDI, then every proxy some run has.
std::vector<Predictor> predictors(const std::vector<RunRecord>& runs) {
  std::vector<Predictor> list = {
      {"NN-Mass", [](const RunRecord& r) { return r.nn_mass; }},
      {"#params", [](const RunRecord& r) { return static_cast<double>(r.params); }},
      {"FLOPs", [](const RunRecord& r) { return static_cast<double>(r.flops); }},
      {"LDI mean σ", [](const RunRecord& r) { return r.ldi_mean; }},
  };
  std::set<std::string> present;
  for (const RunRecord& r : runs)
    for (const auto& entry : r.proxies) present.insert(entry.first);
  std::vector<std::string> names;
  for (const char* known : kProxyOrder)
    if (present.erase(known)) names.push_back(known);
  names.insert(names.end(), present.begin(), present.end());
  for (const std::string& name : names)
    list.push_back({name, [name](const RunRecord& r) {
                      const auto it = r.proxies.find(name);
                      return it == r.proxies.end() ? std::nan("") : it->second;
                    }});
  return list;
}

std::vector<RunRecord> ok_runs(const std::vector<RunRecord>& runs) {
  std::vector<RunRecord> ok;
  for (const RunRecord& r : runs)
    if (r.status == "ok") ok.push_back(r);
  return ok;
}

std::string num(double v, int decimals) { return std::isnan(v) ? "–" : fmt::format("{:.{}f}", v, decimals); }

double mean_of(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? std::nan("") : s / v.size();
}

double sd_of(const std::vector<double>& v) {
  if (v.size() < 2) return std::nan("");
  const double m = mean_of(v);
  double s = 0;
  for (double x : v) s += (x - m) * (x - m);
  return std::sqrt(s / (v.size() - 1));
}

std::string interval_text(const Interval& i) {
  return std::isnan(i.lo) ? "-" : "[" + num(i.lo, 2) + ", " + num(i.hi, 2) + "]";
}

// The correlations, then their 95 % bootstrap intervals (resampling the runs).
std::string correlation_table(const std::vector<PredictorStats>& stats) {
  std::string md = "| predictor | n | R² | Pearson r | Spearman ρ | Kendall τ-b | R² 95 % CI | Pearson 95 % CI | "
                   "Spearman 95 % CI | Kendall 95 % CI |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const PredictorStats& s : stats)
    md += fmt::format("| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n", s.predictor, s.c.n, num(s.c.r2, 3),
                      num(s.c.pearson, 3), num(s.c.spearman, 3), num(s.c.kendall, 3), interval_text(s.ci.r2),
                      interval_text(s.ci.pearson), interval_text(s.ci.spearman), interval_text(s.ci.kendall));
  return md;
}

std::string bucket_table(const std::vector<RunRecord>& runs, int buckets) {
  double lo = INFINITY, hi = -INFINITY;
  for (const RunRecord& r : runs) {
    lo = std::min(lo, r.nn_mass);
    hi = std::max(hi, r.nn_mass);
  }
  const double width = hi > lo ? (hi - lo) / buckets : 1.0;
  std::vector<std::vector<const RunRecord*>> members(buckets);
  for (const RunRecord& r : runs)
    members[std::min(buckets - 1, static_cast<int>((r.nn_mass - lo) / width))].push_back(&r);
  std::string md = "| NN-Mass bucket | runs | depths | mean test acc (%) | sd | mean #params |\n|---|---:|---|---:|---:|---:|\n";
  for (int b = 0; b < buckets; ++b) {
    if (members[b].empty()) continue;
    std::vector<double> acc, params;
    std::set<int64_t> depths;
    for (const RunRecord* r : members[b]) {
      acc.push_back(100 * r->test_acc);
      params.push_back(static_cast<double>(r->params));
      depths.insert(r->depth);
    }
    std::string d;
    for (int64_t x : depths) d += (d.empty() ? "" : ", ") + std::to_string(x);
    md += fmt::format("| {:.2f} – {:.2f} | {} | {} | {} | {} | {:.0f} |\n", lo + b * width, lo + (b + 1) * width,
                      members[b].size(), d, num(mean_of(acc), 2), num(sd_of(acc), 2), mean_of(params));
  }
  return md;
}

std::string group_table(const std::vector<RunRecord>& runs, const std::string& group_by) {
  std::map<std::string, std::vector<const RunRecord*>, GroupLess> groups;
  for (const RunRecord& r : runs) groups[group_of(r, group_by)].push_back(&r);
  std::string md = fmt::format("| {} | runs | mean test acc (%) | sd | mean NN-Mass | mean #params |\n|---|---:|---:|---:|---:|---:|\n", group_by);
  for (const auto& [g, members] : groups) {
    std::vector<double> acc, mass, params;
    for (const RunRecord* r : members) {
      acc.push_back(100 * r->test_acc);
      mass.push_back(r->nn_mass);
      params.push_back(static_cast<double>(r->params));
    }
    md += fmt::format("| {} | {} | {} | {} | {} | {:.0f} |\n", g, members.size(), num(mean_of(acc), 2),
                      num(sd_of(acc), 2), num(mean_of(mass), 3), mean_of(params));
  }
  return md;
}

std::string architecture_table(const std::vector<RunRecord>& runs, size_t most = 200) {
  std::map<std::string, std::vector<const RunRecord*>> archs;
  std::vector<std::string> order;
  for (const RunRecord& r : runs) {
    const std::string k = r.family + " " + r.cells;
    if (!archs.count(k)) order.push_back(k);
    archs[k].push_back(&r);
  }
  std::sort(order.begin(), order.end(), [&](const std::string& a, const std::string& b) {
    return archs[a].front()->nn_mass < archs[b].front()->nn_mass;
  });
  std::string md = "| architecture (d×w×t_c) | NN-Mass | #params | FLOPs | LDI mean σ | seeds | test acc (%) | sd |\n|---|---:|---:|---:|---:|---:|---:|---:|\n";
  if (order.size() > most) {  // thousands of cells (NAS-Bench-201): every n-th, by NN-Mass
    std::vector<std::string> every;
    for (size_t i = 0; i < most; ++i) every.push_back(order[i * (order.size() - 1) / (most - 1)]);
    md = fmt::format("{} of {} architectures, evenly spaced in NN-Mass order (all in runs.csv):\n\n", most,
                     order.size()) + md;
    order = every;
  }
  for (const std::string& k : order) {
    const auto& members = archs[k];
    std::vector<double> acc, ldi;
    for (const RunRecord* r : members) {
      acc.push_back(100 * r->test_acc);
      if (!std::isnan(r->ldi_mean)) ldi.push_back(r->ldi_mean);
    }
    const RunRecord& f = *members.front();
    md += fmt::format("| {} | {:.3f} | {} | {} | {} | {} | {} | {} |\n", k, f.nn_mass, f.params, f.flops,
                      num(mean_of(ldi), 4), members.size(), num(mean_of(acc), 2), num(sd_of(acc), 2));
  }
  return md;
}

// "Similar NN-Mass, different size": pairs of architectures (means over seeds) whose NN-Mass
// differs by at most 5 % while one has at least 1.3x the other's #params, the most different in
// size first (the paper's comparison: if NN-Mass predicts accuracy, their accuracies match).
std::string similar_mass_pairs_table(const std::vector<RunRecord>& runs, size_t most = 12) {
  struct Arch {
    std::string name;
    double mass = 0, params = 0;
    std::vector<double> acc;
  };
  std::map<std::string, Arch> archs;
  for (const RunRecord& r : runs) {
    Arch& a = archs[r.family + " " + r.cells];
    a.name = r.family + " " + r.cells;
    a.mass = r.nn_mass;
    a.params = static_cast<double>(r.params);
    a.acc.push_back(100 * r.test_acc);
  }
  struct Pair {
    const Arch *small, *large;
    double ratio;
    size_t order;  // discovery order: ties keep it
  };
  // The `most` pairs of largest ratio, in a bounded heap: spaces of thousands of architectures
  // (NAS-Bench-201, five NN-Mass values) have millions of qualifying pairs.
  const auto before = [](const Pair& x, const Pair& y) { return x.ratio > y.ratio || (x.ratio == y.ratio && x.order < y.order); };
  std::priority_queue<Pair, std::vector<Pair>, decltype(before)> best(before);
  size_t found = 0;
  for (const auto& [ka, a] : archs)
    for (const auto& [kb, b] : archs) {
      if (!(a.params < b.params) || a.mass <= 0 || b.mass <= 0) continue;
      if (std::abs(a.mass - b.mass) > 0.05 * std::max(a.mass, b.mass) || b.params < 1.3 * a.params) continue;
      best.push({&a, &b, b.params / a.params, found++});
      if (best.size() > most) best.pop();
    }
  if (found == 0) return "No two architectures with NN-Mass within 5 % differ in #params by 1.3× or more.\n";
  std::vector<Pair> pairs;
  for (; !best.empty(); best.pop()) pairs.push_back(best.top());
  std::reverse(pairs.begin(), pairs.end());
  std::string md = "| smaller | larger | NN-Mass | #params (ratio) | test acc smaller (%) | test acc larger (%) | "
                   "larger − smaller |\n|---|---|---:|---:|---:|---:|---:|\n";
  for (size_t i = 0; i < std::min(most, pairs.size()); ++i) {
    const Pair& p = pairs[i];
    const double d = mean_of(p.large->acc) - mean_of(p.small->acc);
    md += fmt::format("| {} | {} | {:.2f} / {:.2f} | {:.0f} / {:.0f} ({:.2f}×) | {} ± {} | {} ± {} | {:+.2f} |\n",
                      p.small->name, p.large->name, p.small->mass, p.large->mass, p.small->params, p.large->params,
                      p.ratio, num(mean_of(p.small->acc), 2), num(sd_of(p.small->acc), 2), num(mean_of(p.large->acc), 2),
                      num(sd_of(p.large->acc), 2), d);
  }
  if (found > most) md += fmt::format("\n({} more pairs)\n", found - most);
  return md;
}

// Writes one data file per group ("x y" lines) and a gnuplot script drawing them; runs gnuplot.
// With `colour`, one series whose points take their colour from it instead (a colour bar).
std::vector<std::string> plot(const std::vector<RunRecord>& runs, const std::string& group_by, const fs::path& dir,
                              const std::string& name, const std::string& xlabel, const std::string& ylabel,
                              Getter x, Getter y, bool log_x, Getter colour = nullptr,
                              const std::string& colour_label = "") {
  std::map<std::string, std::string, GroupLess> series;
  for (const RunRecord& r : runs) {
    const double xv = x(r), yv = y(r);
    if (std::isnan(xv) || std::isnan(yv)) continue;
    if (colour)
      series["all"] += fmt::format("{:.9g} {:.9g} {:.9g}\n", xv, yv, colour(r));
    else
      series[group_of(r, group_by)] += fmt::format("{:.9g} {:.9g}\n", xv, yv);
  }
  if (series.empty()) return {};
  std::string plots;
  int k = 0;
  for (const auto& [group, data] : series) {
    const fs::path file = dir / fmt::format("{}_{}.dat", name, k++);
    write_file_atomic(file.string(), data);
    if (colour)
      plots += fmt::format("{} using 1:2:3 with points pt 7 ps 0.8 lc palette notitle", gnuplot_quoted(file.string()));
    else
      plots += fmt::format("{}{} using 1:2 with points pt 7 ps 0.8 title {}", plots.empty() ? "" : ", ",
                           gnuplot_quoted(file.string()), gnuplot_quoted(group_by + " " + group));
  }
  std::vector<std::string> outputs;
  std::string script = fmt::format(
      "set grid\nset key outside right\nset xlabel '{}'\nset ylabel '{}'\n{}{}", xlabel, ylabel,
      log_x ? "set logscale x\n" : "",
      colour ? "set palette rgbformulae 33,13,10\nset cblabel '" + colour_label + "'\n" : "");
  for (const char* ext : {"png", "svg"}) {
    const fs::path out = dir / (name + "." + ext);
    script += fmt::format("set terminal {} size 900,560\nset output {}\nplot {}\n",
                          std::string(ext) == "png" ? "pngcairo" : "svg", gnuplot_quoted(out.string()), plots);
    outputs.push_back(out.string());
  }
  const fs::path gp = dir / (name + ".gp");
  write_file_atomic(gp.string(), script);
  const std::string log = (dir / (name + ".log")).string();
  const std::string command = "gnuplot " + shell_quoted(gp.string()) + " 2>" + shell_quoted(log);
  const int status = std::system(command.c_str());
  if (status != 0)
    throw IoError(std::system("command -v gnuplot >/dev/null 2>&1") != 0
                      ? std::string("gnuplot is not installed; install gnuplot-nox (scripts/install-deps.sh) or pass --no-plots")
                      : "gnuplot failed on " + gp.string() + " (see " + log + ")");
  for (const std::string& o : outputs)
    if (!fs::is_regular_file(o) || fs::file_size(o) == 0) throw IoError("gnuplot wrote no " + o);
  return outputs;
}

}  // namespace

std::string group_of(const RunRecord& r, const std::string& group_by) {
  if (group_by == "depth") return std::to_string(r.depth);
  if (group_by == "width") return std::to_string(r.width);
  if (group_by == "tc") return std::to_string(r.tc);
  if (group_by == "family") return r.family;
  throw SpecError("group-by must be depth, width, tc or family, got \"" + group_by + "\"");
}

std::vector<PredictorStats> predictor_stats(const std::vector<RunRecord>& runs) {
  std::vector<PredictorStats> stats;
  for (const Predictor& p : predictors(runs)) {
    std::vector<double> x, y;
    for (const RunRecord& r : runs) {
      if (r.status != "ok" || std::isnan(p.get(r)) || std::isnan(r.test_acc)) continue;
      x.push_back(p.get(r));
      y.push_back(r.test_acc);
    }
    PredictorStats s{p.name, x.size() >= 2 ? correlate(x, y) : Correlations{static_cast<int>(x.size()), NAN, NAN, NAN, NAN},
                     bootstrap_intervals(x, y)};
    // No interval around an undefined statistic: with infinite values (NASWOT's -inf) Pearson and
    // R² are undefined, yet resamples that miss those runs would still give finite values.
    const auto undefined_if = [](double statistic, Interval& ci) {
      if (std::isnan(statistic)) ci = {NAN, NAN};
    };
    undefined_if(s.c.r2, s.ci.r2);
    undefined_if(s.c.pearson, s.ci.pearson);
    undefined_if(s.c.spearman, s.ci.spearman);
    undefined_if(s.c.kendall, s.ci.kendall);
    stats.push_back(s);
  }
  return stats;
}

ReportFiles write_report(const std::vector<RunRecord>& all, const ReportOptions& o) {
  group_of(RunRecord{}, o.group_by);  // validates group_by before any file is written
  if (o.buckets < 1) throw SpecError("buckets must be at least 1");
  const std::vector<RunRecord> runs = ok_runs(all);
  if (runs.empty()) throw IoError("no finished runs to report on (" + std::to_string(all.size()) + " rows, none with status ok)");
  const fs::path dir(o.out_dir), plot_dir = fs::path(o.out_dir) / "plots";
  std::error_code ec;
  fs::create_directories(plot_dir, ec);
  if (ec) throw IoError("cannot create report folder " + plot_dir.string() + ": " + ec.message());

  ReportFiles files;
  files.csv = (dir / "runs.csv").string();
  write_file_atomic(files.csv, runs_to_csv(all));
  const auto acc = [](const RunRecord& r) { return 100 * r.test_acc; };
  std::string figures;
  if (o.plots) {
    struct Figure { const char* name; const char* xlabel; const char* ylabel; Getter x, y; bool log_x; const char* caption; Getter colour = nullptr; };
    const Figure figs[] = {
        {"acc_vs_nnmass", "NN-Mass", "test accuracy (%)", [](const RunRecord& r) { return r.nn_mass; }, acc, false,
         "Test accuracy vs NN-Mass, coloured by " },
        {"acc_vs_params", "#params", "test accuracy (%)", [](const RunRecord& r) { return double(r.params); }, acc, true,
         "Test accuracy vs #params, coloured by "},
        {"ldi_vs_nnmass", "NN-Mass", "LDI mean singular value at init", [](const RunRecord& r) { return r.nn_mass; },
         [](const RunRecord& r) { return r.ldi_mean; }, false, "Layer-wise dynamical isometry at initialization vs NN-Mass, coloured by "},
        {"acc_vs_params_by_nnmass", "#params", "test accuracy (%)", [](const RunRecord& r) { return double(r.params); },
         acc, true, "The paper's key figure: test accuracy vs #params, coloured by NN-Mass (not by ",
         [](const RunRecord& r) { return r.nn_mass; }}};
    for (const Figure& f : figs) {
      const auto outputs = plot(runs, o.group_by, plot_dir, f.name, f.xlabel, f.ylabel, f.x, f.y, f.log_x, f.colour,
                                "NN-Mass");
      if (outputs.empty()) continue;
      files.plots.insert(files.plots.end(), outputs.begin(), outputs.end());
      figures += fmt::format("![{}](plots/{}.png)\n\n*{}{}{}* ([SVG](plots/{}.svg))\n\n", f.name, f.name, f.caption,
                             o.group_by, f.colour ? ")" : "", f.name);
    }
  }

  std::set<std::string> data_sets, families;
  std::set<int64_t> epochs;
  for (const RunRecord& r : runs) {
    data_sets.insert(r.data);
    families.insert(r.family);
    epochs.insert(r.epochs);
  }
  const auto join = [](const auto& set) {
    std::string s;
    for (const auto& v : set) s += (s.empty() ? "" : ", ") + fmt::format("{}", v);
    return s;
  };
  std::string md = "# NN-Mass sweep report\n\n";
  md += fmt::format("{} finished runs ({} failed) — data: {}; family: {}; epochs: {}. Generated by nnmass {}.\n\n",
                    runs.size(), all.size() - runs.size(), join(data_sets), join(families), join(epochs), NNMASS_VERSION);
  if (!o.accuracy_source.empty()) md += "Test accuracy: " + o.accuracy_source + ".\n\n";
  md += "## Does it predict test accuracy?\n\nCorrelation of test accuracy with each predictor, over all runs, with "
        "95 % percentile-bootstrap intervals (1,000 resamples of the runs, fewer for very large sweeps):\n\n";
  files.stats = predictor_stats(runs);
  md += correlation_table(files.stats);
  std::map<std::string, std::vector<RunRecord>, GroupLess> groups;
  for (const RunRecord& r : runs) groups[group_of(r, o.group_by)].push_back(r);
  md += fmt::format("\nWithin each {} (the paper's comparison: models of one {}):\n\n", o.group_by, o.group_by);
  for (const auto& [g, members] : groups) {
    md += fmt::format("**{} {}** ({} runs)\n\n", o.group_by, g, members.size());
    md += correlation_table(predictor_stats(members)) + "\n";
  }
  md += "## Figures\n\n" + (figures.empty() ? std::string("(plots not rendered)\n\n") : figures);
  md += "## Accuracy by NN-Mass bucket\n\n" + bucket_table(runs, o.buckets);
  md += fmt::format("\n## Accuracy by {}\n\n", o.group_by) + group_table(runs, o.group_by);
  md += "\n## Similar NN-Mass, different size\n\nPairs of architectures (means over seeds) whose NN-Mass differs "
        "by at most 5 % while one has at least 1.3× the other's #params, the most different in size first:\n\n" +
        similar_mass_pairs_table(runs);
  md += "\n## Architectures (means over seeds)\n\n" + architecture_table(runs);
  md += "\nAll runs: [runs.csv](runs.csv) (`pandas.read_csv`).\n";
  files.markdown = (dir / "report.md").string();
  write_file_atomic(files.markdown, md);
  return files;
}

}  // namespace nnmass
