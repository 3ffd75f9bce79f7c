// Running a sweep and writing its report; see sweep.h. Runs execute on `jobs`
// threads that take the next configuration in turn; each run builds its own
// program. Runs share the model files, compiled (once each) before any thread
// starts, and the prepared data: each distinct (data directory, scaling, PCA) is
// loaded and fitted once, by the first run that needs it, and copied into each
// run (fitting PCA on the digits takes about a second; a copy, milliseconds).
#include <atomic>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#if defined(__APPLE__)
#include <sys/sysctl.h>
#endif

#include <fmt/format.h>

#include "ir/error.h"
#include "runtime/atomic_file.h"
#include "runtime/checkpoint.h"
#include "runtime/distributed/world.h"
#include "runtime/plot.h"
#include "runtime/progress.h"
#include "runtime/run_config_json.h"
#include "runtime/session.h"
#include "runtime/sweep.h"

namespace minigrad::runtime {
namespace {

using json = nlohmann::json;

// Prepared data by (directory, scaling, PCA, class count). A failure is not kept: each run that
// needs the data tries again and reports the error as its own.
class DataCache {
 public:
  std::shared_ptr<const PreparedData> get(const RunConfig& c) {
    std::string key = fmt::format("{}\n{}\n{}\n{}", c.data_dir, static_cast<int>(c.scale), c.pca, c.num_classes);
    std::lock_guard<std::mutex> g(mutex_);
    auto& slot = entries_[key];
    if (!slot) slot = std::make_shared<const PreparedData>(prepare_data(c));
    return slot;
  }

 private:
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<const PreparedData>> entries_;
};

SweepResult run_one(const SweepRun& run, size_t index, const SweepOptions& o, std::mutex& lock, DataCache& data) {
  SweepResult r;
  try {
    Session s = start_session(run.config, {}, data.get(run.config));
    StepCallback on_step;
    if (o.on_step)
      on_step = [&](int64_t done, int64_t total) {
        std::lock_guard<std::mutex> g(lock);
        o.on_step(index, done, total);
      };
    train_session(s, [&](const EpochStats& e) {
      std::lock_guard<std::mutex> g(lock);
      if (o.on_epoch) o.on_epoch(index, e);
    }, on_step);
    r.history = s.history;
    r.summary = summarize(r.history);
    r.ok = true;
  } catch (const std::exception& e) {
    r.error = e.what();
  }
  return r;
}

// Compiles each model file once, before threads start (errors are left to the runs).
void warm_models(const SweepPlan& plan) {
  std::set<std::string> seen;
  for (const SweepRun& r : plan.runs) {
    if (!seen.insert(r.config.model).second) continue;
    try {
      load_model(r.config.model);
    } catch (const std::exception&) {
    }
  }
}

// The CPU's name for the report: macOS's sysctl, Linux's /proc/cpuinfo.
std::string cpu_name() {
#if defined(__APPLE__)
  char name[256] = {};
  size_t size = sizeof(name) - 1;
  if (sysctlbyname("machdep.cpu.brand_string", name, &size, nullptr, 0) == 0 && name[0] != 0) return name;
#endif
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("model name", 0) == 0 && line.find(':') != std::string::npos) return line.substr(line.find(':') + 2);
  return "unknown CPU";
}

std::vector<std::string> groups_of(const SweepPlan& plan) {
  std::vector<std::string> groups;
  for (const SweepRun& r : plan.runs)
    if (std::find(groups.begin(), groups.end(), r.group) == groups.end()) groups.push_back(r.group);
  return groups;
}

std::string plot_name(const std::string& group) { return group.empty() ? "curves.png" : slug(group) + ".png"; }

std::string settings_text(const json& base) {
  std::string out;
  for (const auto& [k, v] : base.items()) {
    if (k == "set") {
      for (const auto& [pk, pv] : v.items()) out += fmt::format("`{}={}` ", pk, parameter_text(pv));
    } else {
      out += fmt::format("`{}={}` ", k, v.is_string() ? v.get<std::string>() : v.dump());
    }
  }
  return out;
}

std::string markdown(const SweepPlan& plan, const std::vector<SweepResult>& results, const SweepReport& rep) {
  size_t failed = std::count_if(results.begin(), results.end(), [](const SweepResult& r) { return !r.ok; });
  std::string out = fmt::format("# {}\n\n", plan.name);
  if (!plan.description.empty()) out += plan.description + "\n\n";
  out += fmt::format("{} runs ({} failed) in {} wall time, {} at a time, backend {}, on {}.\n\n", results.size(), failed,
                     format_duration(rep.wall_seconds), rep.jobs, plan.runs[0].config.backend, cpu_name());
  if (!plan.base.empty()) out += "Settings of every run unless the table says otherwise: " + settings_text(plan.base) + "\n\n";
  for (const std::string& group : groups_of(plan)) {
    std::vector<ResultRow> rows;
    for (size_t i = 0; i < plan.runs.size(); ++i)
      if (plan.runs[i].group == group)
        rows.push_back({group, plan.runs[i].label, results[i].ok, results[i].error, results[i].summary});
    if (!group.empty()) out += fmt::format("## {}\n\n", group);
    out += results_markdown(rows) + "\n";
    bool any_ok = std::any_of(rows.begin(), rows.end(), [](const ResultRow& r) { return r.ok; });
    if (any_ok)  // a group whose every run failed has no curves, so no plot
      out += fmt::format("![{}]({})\n\n", group.empty() ? "training curves" : group, plot_name(group));
  }
  return out;
}

json results_json(const SweepPlan& plan, const std::vector<SweepResult>& results) {
  json runs = json::array();
  for (size_t i = 0; i < plan.runs.size(); ++i) {
    json r{{"group", plan.runs[i].group}, {"label", plan.runs[i].label}, {"config", to_json(plan.runs[i].config)},
           {"ok", results[i].ok}};
    if (results[i].ok) r["summary"] = to_json(results[i].summary), r["history"] = history_to_json(results[i].history);
    else r["error"] = results[i].error;
    runs.push_back(r);
  }
  return json{{"name", plan.name}, {"runs", runs}};
}

}  // namespace

// Under mpirun with several ranks: each rank takes the next run from a counter on
// rank 0 (World::next, one-sided, so the runs are balanced as they finish, not
// dealt out in advance), then every rank gets every result (all_gather of JSON;
// histories carry doubles in their shortest exact form, so nothing is rounded).
std::vector<SweepResult> run_sweep_over_ranks(const SweepPlan& plan, const SweepOptions& options, World& world) {
  if (options.jobs != 1)
    fail("--jobs {}: a sweep over {} ranks runs one configuration at a time on each rank (use more ranks)", options.jobs,
         world.size());
  warm_models(plan);
  std::mutex lock;
  DataCache data;
  json mine = json::array();
  world.open_counter();
  for (int64_t i; (i = world.next()) < static_cast<int64_t>(plan.runs.size());) {
    auto at = static_cast<size_t>(i);
    if (options.on_start) options.on_start(at);
    SweepResult r = run_one(plan.runs[at], at, options, lock, data);
    if (options.on_done) options.on_done(at, r);
    mine.push_back(json{{"run", i}, {"ok", r.ok}, {"error", r.error}, {"history", history_to_json(r.history)}});
  }
  world.close_counter();
  std::vector<SweepResult> results(plan.runs.size());
  std::vector<bool> seen(plan.runs.size(), false);
  for (const std::string& text : world.all_gather(mine.dump()))
    for (const json& j : json::parse(text)) {
      auto at = j.at("run").get<size_t>();
      SweepResult& r = results.at(at);
      r.ok = j.at("ok").get<bool>();
      r.error = j.at("error").get<std::string>();
      r.history = history_from_json(j.at("history"), "a sweep result from another rank");
      if (r.ok) r.summary = summarize(r.history);
      seen[at] = true;
    }
  for (size_t i = 0; i < seen.size(); ++i)
    if (!seen[i]) fail("sweep: no rank ran configuration {} of {}", i + 1, seen.size());
  return results;
}

std::vector<SweepResult> run_sweep(const SweepPlan& plan, const SweepOptions& options) {
  if (World* w = World::current(); w && w->size() > 1) return run_sweep_over_ranks(plan, options, *w);
  warm_models(plan);
  std::vector<SweepResult> results(plan.runs.size());
  std::atomic<size_t> next{0};
  std::mutex lock;
  DataCache data;
  auto worker = [&] {
    for (size_t i; (i = next++) < plan.runs.size();) {
      {
        std::lock_guard<std::mutex> g(lock);
        if (options.on_start) options.on_start(i);
      }
      results[i] = run_one(plan.runs[i], i, options, lock, data);
      std::lock_guard<std::mutex> g(lock);
      if (options.on_done) options.on_done(i, results[i]);
    }
  };
  int jobs = std::max(1, std::min<int>(options.jobs, static_cast<int>(plan.runs.size())));
  if (jobs == 1) {
    worker();
    return results;
  }
  std::vector<std::thread> threads;
  for (int j = 0; j < jobs; ++j) threads.emplace_back(worker);
  for (std::thread& t : threads) t.join();
  return results;
}

void write_sweep_report(const SweepPlan& plan, const std::vector<SweepResult>& results, const SweepReport& report,
                        const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir / "runs");
  std::vector<ResultRow> rows;
  for (size_t i = 0; i < plan.runs.size(); ++i) {
    const SweepRun& run = plan.runs[i];
    rows.push_back({run.group, run.label, results[i].ok, results[i].error, results[i].summary});
    if (results[i].ok)
      write_metrics(dir / "runs" / fmt::format("{:02}-{}.csv", i + 1, slug(run.label)), results[i].history);
  }
  write_file_atomic(dir / "results.csv", results_csv(rows));
  write_file_atomic(dir / "results.json", results_json(plan, results).dump(1) + "\n");
  write_file_atomic(dir / "results.md", markdown(plan, results, report));
  for (const std::string& group : groups_of(plan)) {
    std::vector<std::pair<std::string, std::vector<EpochStats>>> curves;
    for (size_t i = 0; i < plan.runs.size(); ++i)
      if (plan.runs[i].group == group && results[i].ok) curves.emplace_back(plan.runs[i].label, results[i].history);
    if (curves.empty()) continue;  // every run of the group failed: nothing to plot (their errors are in the table)
    std::string title = group.empty() ? plan.name : plan.name + ": " + group;
    plot(dir / plot_name(group), title, training_panels(curves));
  }
}

}  // namespace minigrad::runtime
