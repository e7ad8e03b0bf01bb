// compressor subcommands; see ../edge-run/commands.h for the pattern.
#pragma once

#include <functional>

#include <CLI/CLI.hpp>

namespace edge::app {

using Action = std::function<int()>;

void add_inspect_command(CLI::App& root, Action& action);
void add_compress_command(CLI::App& root, Action& action);
void add_passes_command(CLI::App& root, Action& action);
void add_eval_command(CLI::App& root, Action& action);
void add_search_command(CLI::App& root, Action& action);

}  // namespace edge::app
