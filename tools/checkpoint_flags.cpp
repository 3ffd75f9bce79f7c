// Run settings from checkpoints and command lines; see checkpoint_flags.h.
#include "tools/checkpoint_flags.h"

#include <algorithm>

#include "ir/error.h"
#include "runtime/run_config_json.h"

namespace minigrad::tools {

std::vector<std::string> given_settings(const CLI::App* cmd) {
  std::vector<std::string> out;
  for (const CLI::Option* o : cmd->get_options()) {
    if (o->count() == 0) continue;
    std::string name = o->get_lnames().empty() ? o->get_name() : o->get_lnames()[0];
    std::replace(name.begin(), name.end(), '-', '_');
    if (name == "no_shuffle") name = "shuffle";
    if (runtime::is_run_config_key(name)) out.push_back(name);
  }
  return out;
}

runtime::RunConfig config_to_resume(const runtime::CheckpointInfo& info, const runtime::RunConfig& flags,
                                    const std::vector<std::string>& given, const std::string& ckpt) {
  if (!info.config)
    fail("{}: holds no minigrad run to resume (no settings in its metadata); use --init to start from its weights",
         ckpt);
  // num_classes: checked against the checkpoint's model when the data are loaded (runtime/session.cpp).
  const std::vector<std::string> may_change = {"epochs", "eval_every", "eval_batch", "backend", "data", "num_classes"};
  std::vector<std::string> fixed;
  for (const std::string& k : runtime::run_config_keys())
    if (std::find(may_change.begin(), may_change.end(), k) == may_change.end()) fixed.push_back(k);
  return runtime::merge_saved(*info.config, flags, given, runtime::run_config_keys(), fixed, ckpt);
}

runtime::RunConfig config_to_init(const runtime::CheckpointInfo& info, const runtime::RunConfig& flags,
                                  const std::vector<std::string>& given, const std::string& ckpt) {
  if (!info.config) return flags;
  return runtime::merge_saved(*info.config, flags, given, {"model", "set", "pca", "scale"}, {"pca", "scale"}, ckpt);
}

runtime::RunConfig config_to_use(const runtime::CheckpointInfo& info, const runtime::RunConfig& flags,
                                 const std::vector<std::string>& given, const std::string& ckpt) {
  if (!info.config) return flags;
  const std::vector<std::string> how_to_run = {"backend", "eval_batch", "data"};  // this command's, not the model's
  std::vector<std::string> saved;
  for (const std::string& k : runtime::run_config_keys())
    if (std::find(how_to_run.begin(), how_to_run.end(), k) == how_to_run.end()) saved.push_back(k);
  return runtime::merge_saved(*info.config, flags, given, saved, {"pca", "scale"}, ckpt);
}

}  // namespace minigrad::tools
