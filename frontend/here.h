// Here: the DSL line that made a node. Every DSL call takes a defaulted `Here`
// argument, which the compiler fills with the caller's file, line and column
// (std::source_location), so the IR can point back at the model file. Objects
// made from settings rather than code (the loss and optimiser chosen by
// minigradc's flags, the tracer's own inputs and outputs) carry an origin
// instead, such as "<flag --optimizer adam>": their nodes print
// loc("<flag --optimizer adam>":0:0) rather than a line inside the library.
#pragma once

#include <source_location>
#include <string>

namespace minigrad {

struct Here {
  std::source_location loc;
  std::string origin;  // non-empty: the setting that made the object (line 0)
  Here(std::source_location l = std::source_location::current()) : loc(l) {}
  static Here setting(std::string origin) {
    Here h;
    h.origin = std::move(origin);
    return h;
  }
};

}  // namespace minigrad
