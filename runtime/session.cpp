// Training sessions and their checkpoints; see session.h.
#include "runtime/session.h"

#include <fmt/format.h>

#include "ir/error.h"
#include "runtime/run_config_json.h"

namespace minigrad::runtime {
namespace {

const ir::Module& module_of(Program& p) { return p.compiled_module(p.options().batch); }

// The checkpoint's class count wins over the data's, which may lack the top classes.
void match_classes(Dataset& d, const CheckpointInfo& info, const std::string& ckpt) {
  if (info.num_classes <= 0) return;
  if (d.num_classes > info.num_classes)
    fail("{}: the model has {} classes but the labels of {} go up to {}", ckpt, info.num_classes, d.source,
         d.num_classes - 1);
  d.num_classes = static_cast<int>(info.num_classes);
}

PreparedData load_for(const RunConfig& c, const CheckpointInfo* info, const std::string& ckpt,
                      const std::shared_ptr<const PreparedData>& prepared) {
  if (!info) return prepared ? *prepared : prepare_data(c);
  if (c.num_classes > 0 && info->num_classes > 0 && c.num_classes != info->num_classes)
    fail("--num-classes {}: the model of {} has {} classes", c.num_classes, ckpt, info->num_classes);
  PreparedData p;
  if (info->preprocessing) {
    if (c.data_dir.empty()) fail("no data directory given (--data DIR)");
    bool given = info->num_classes <= 0 && c.num_classes > 0;  // a checkpoint without the count
    p = PreparedData{load_data_dir(c.data_dir, given ? c.num_classes : info->num_classes,
                                   given ? kClassesFromFlag : "as the checkpoint's model has"),
                     *info->preprocessing};
    apply_fitted(p.data, p.preprocessing, ckpt);
  } else {
    p = prepare_data(c, info->num_classes);
  }
  match_classes(p.data, *info, ckpt);
  return p;
}

void check_features(const Session& s, const CheckpointInfo& info, const std::string& ckpt) {
  int64_t f = s.data.data.train.features();
  if (info.in_features > 0 && info.in_features != f)
    fail("{}: the model takes {} features, the data has {} after preprocessing", ckpt, info.in_features, f);
}

}  // namespace

void apply_fitted(Dataset& data, const FittedPreprocessing& fitted, const std::string& what) {
  if (data.train.features() != fitted.in_features)
    fail("{}: its preprocessing was fitted on {} features, {} has {}", what, fitted.in_features, data.source,
         data.train.features());
  data.train.x = apply_preprocessing(fitted, data.train.x);
  data.test.x = apply_preprocessing(fitted, data.test.x);
}

Session start_session(const RunConfig& config, const StartFrom& from, std::shared_ptr<const PreparedData> prepared) {
  if (!from.init.empty() && !from.resume.empty()) fail("--init and --resume exclude each other");
  const std::filesystem::path& ckpt = from.resume.empty() ? from.init : from.resume;
  std::optional<CheckpointInfo> info;
  if (!ckpt.empty()) info = read_checkpoint_info(ckpt);
  Session s;
  s.config = config;
  s.data = load_for(config, info ? &*info : nullptr, ckpt.string(), prepared);
  if (info) check_features(s, *info, ckpt.string());
  s.program = make_program(config, s.data.data);
  if (ckpt.empty()) return s;
  load_model_state(ckpt, module_of(*s.program), s.program->state());
  if (!from.resume.empty()) {
    load_training_state(ckpt, module_of(*s.program), s.program->state());
    s.history = info->history;
    if (s.epochs_done() != info->epoch)
      fail("{}: its history ends at epoch {} but it records {} epochs", ckpt.string(), s.epochs_done(), info->epoch);
  }
  return s;
}

std::vector<EpochStats> train_session(Session& s, const EpochCallback& on_epoch, const StepCallback& on_step,
                                      bool check_numerics) {
  TrainOptions t = train_options(s.config);
  t.start_epoch = s.epochs_done();
  t.on_step = on_step;
  t.check_numerics = check_numerics;
  return train(*s.program, s.data.data, t, [&](const EpochStats& st) {
    s.history.push_back(st);
    if (on_epoch) on_epoch(st);
  });
}

CheckpointInfo session_info(const Session& s) {
  CheckpointInfo info;
  info.config = to_json(s.config);
  info.preprocessing = s.data.preprocessing;
  info.in_features = s.data.data.train.features();
  info.num_classes = s.data.data.num_classes;
  info.epoch = s.epochs_done();
  info.history = s.history;
  return info;
}

void save_session(const Session& s, const std::filesystem::path& ckpt, bool with_training_state) {
  save_checkpoint(ckpt, module_of(*s.program), s.program->state(), session_info(s), with_training_state);
}

}  // namespace minigrad::runtime
