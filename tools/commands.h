// The subcommands of minigradc; each adds itself to the app and runs as the
// app's callback. They parse flags and call the library, nothing more.
#pragma once

#include <CLI/CLI.hpp>

namespace minigrad::tools {

void add_train_command(CLI::App& app);
void add_dump_ir_command(CLI::App& app);
void add_eval_command(CLI::App& app);
void add_predict_command(CLI::App& app);
void add_sweep_command(CLI::App& app);
void add_bench_command(CLI::App& app);
void add_compile_command(CLI::App& app);

// Error when this process is one of several ranks (mpirun -np N, N > 1): only
// train and sweep share work between ranks; `command` runs in one process.
void single_process(const char* command);

}  // namespace minigrad::tools
