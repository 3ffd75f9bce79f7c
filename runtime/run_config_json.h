// RunConfig as JSON, with one name per field: the command-line flag without its
// dashes ("--batch-size" is "batch_size"). The same names are the keys of a sweep
// file (runtime/sweep.h), of the configuration stored in a checkpoint
// (runtime/checkpoint.h) and of `minigradc train --json`, so a run reads the same
// wherever it is written down. Model parameters are the object "set".
//
// A field added to RunConfig needs a line in the table of run_config_json.cpp (and
// in the round-trip test, tests/runtime/run_config_json_test.cpp).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/experiment.h"

namespace minigrad::runtime {

nlohmann::json to_json(const RunConfig& c);

// Sets the fields that `j` names. `where` prefixes messages ("sweep.toml: run 3").
// A key that is no field, or a value of the wrong type or out of range, is an Error
// naming the key; `unknown`, when given, collects unknown keys instead.
void apply_json(RunConfig& c, const nlohmann::json& j, const std::string& where,
                std::vector<std::string>* unknown = nullptr);

// Checks every number of `settings` (to_json of a RunConfig) against the same
// table as apply_json (finite, in its range, an integer that fits its type): for
// settings that reached a RunConfig by another way (the command line). An Error
// names the setting by name_of(key) ("--lr") and its value.
void check_numbers(const nlohmann::json& settings, const std::function<std::string(const std::string&)>& name_of);

// Every key to_json writes.
const std::vector<std::string>& run_config_keys();
bool is_run_config_key(const std::string& key);

// A model parameter value as the model sees it: strings as they are, numbers in
// their shortest exact form, booleans as true/false.
std::string parameter_text(const nlohmann::json& v);

}  // namespace minigrad::runtime

namespace minigrad::runtime {

// Settings for a run that uses a checkpoint, from the settings saved in it and
// those of the command line: each key of `from_saved` takes the saved value unless
// the command line gave it (`given`; model parameters merge, the command line's
// winning); a key of `fixed` given with a value other than the saved one is an
// Error naming both. `where` names the checkpoint.
RunConfig merge_saved(const nlohmann::json& saved, const RunConfig& flags, const std::vector<std::string>& given,
                      const std::vector<std::string>& from_saved, const std::vector<std::string>& fixed,
                      const std::string& where);

}  // namespace minigrad::runtime
