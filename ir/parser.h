// Parser of the IR text form written by ir/printer.h. Value names are local to a
// function and may be any %name; they are renumbered on reading. Optional
// attributes may be left out (their defaults are filled in); result types are
// checked against each op's type rule. Errors read "file:line:col: what".
#pragma once

#include <string>
#include <string_view>

#include "ir/graph.h"

namespace minigrad::ir {

// Parses and verifies one module.
Module parse_module(std::string_view text, const std::string& file = "<input>");

// Reads a file and parses it; the error for a missing file names it.
Module parse_module_file(const std::string& path);

}  // namespace minigrad::ir
