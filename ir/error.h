// Errors of the whole compiler. Every layer reports bad input by throwing
// minigrad::Error with a message that names the place (file, line, node) and what
// was expected; the tools catch it at the top and exit non-zero. Nothing aborts on
// bad input.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>

#include <fmt/format.h>

namespace minigrad {

class Error : public std::runtime_error {
 public:
  explicit Error(std::string message) : std::runtime_error(std::move(message)) {}
};

// Throws Error with a fmt-formatted message.
template <typename... Args>
[[noreturn]] void fail(fmt::format_string<Args...> format, Args&&... args) {
  throw Error(fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace minigrad
