// "did you mean" for the command line: checked before CLI11 parses, so that a mistyped
// subcommand or long option gets the nearest valid name instead of CLI11's generic message.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>

namespace edge::app {

// The error for the first unknown subcommand or unknown --option of the chosen subcommand in
// argv, or nothing when all are known (CLI11 then reports anything else).
std::optional<std::string> unknown_argument(CLI::App& root, int argc, char** argv);

}  // namespace edge::app
