// Tokens of the IR text form, with their line and column for error messages.
// `//` starts a comment that runs to the end of the line (test files carry RUN and
// CHECK lines there).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace minigrad::ir {

struct Token {
  enum class Kind { Ident, Value, Global, String, Number, Punct, End } kind;
  std::string text;  // Value: name after '%'; Global: after '@'; String: unescaped
  int line = 0, col = 0;
};

// Splits `text` into tokens; throws Error "file:line:col: ..." on a bad character or
// an unterminated string.
std::vector<Token> lex(std::string_view text, const std::string& file);

}  // namespace minigrad::ir
