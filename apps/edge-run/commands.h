// edge-run subcommands. Each add_* registers its options on `root` and, when the
// subcommand is chosen, stores the function to run in `action`.
#pragma once

#include <functional>

#include <CLI/CLI.hpp>

namespace edge::app {

using Action = std::function<int()>;

void add_run_command(CLI::App& root, Action& action);
void add_check_command(CLI::App& root, Action& action);
void add_bench_command(CLI::App& root, Action& action);
void add_info_command(CLI::App& root, Action& action);
void add_kernels_command(CLI::App& root, Action& action);

}  // namespace edge::app
