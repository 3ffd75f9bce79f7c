// Here: the DSL line that made a node. Every DSL call takes a defaulted `Here`
// argument, which the compiler fills with the caller's file, line and column
// (std::source_location), so the IR can point back at the model file.
#pragma once

#include <source_location>

namespace minigrad {

struct Here {
  std::source_location loc;
  Here(std::source_location l = std::source_location::current()) : loc(l) {}
};

}  // namespace minigrad
