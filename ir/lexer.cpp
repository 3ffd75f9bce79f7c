// The IR lexer; see lexer.h.
#include "ir/lexer.h"

#include <cctype>

#include "ir/error.h"

namespace minigrad::ir {
namespace {

bool ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.'; }

class Lexer {
 public:
  Lexer(std::string_view text, const std::string& file) : s_(text), file_(file) {}

  std::vector<Token> run() {
    std::vector<Token> out;
    while (skip_space(), i_ < s_.size()) out.push_back(next());
    out.push_back(Token{Token::Kind::End, "", line_, col_});
    return out;
  }

 private:
  void advance() {
    if (s_[i_] == '\n') ++line_, col_ = 1;
    else ++col_;
    ++i_;
  }

  void skip_space() {
    while (i_ < s_.size()) {
      if (std::isspace(static_cast<unsigned char>(s_[i_]))) advance();
      else if (s_.substr(i_, 2) == "//") while (i_ < s_.size() && s_[i_] != '\n') advance();
      else break;
    }
  }

  std::string take_while(bool (*pred)(char)) {
    std::string t;
    while (i_ < s_.size() && pred(s_[i_])) t += s_[i_], advance();
    return t;
  }

  Token next() {
    Token t{Token::Kind::Punct, "", line_, col_};
    char c = s_[i_];
    if (c == '%' || c == '@') {
      advance();
      t.kind = c == '%' ? Token::Kind::Value : Token::Kind::Global;
      t.text = take_while(ident_char);
      if (t.text.empty()) fail("{}:{}:{}: expected a name after '{}'", file_, t.line, t.col, c);
    } else if (c == '"') {
      t.kind = Token::Kind::String;
      t.text = string_literal(t);
    } else if (std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '+') {
      t.kind = Token::Kind::Number;
      t.text = number();
    } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      t.kind = Token::Kind::Ident;
      t.text = take_while(ident_char);
    } else if (std::string_view("{}()[]:,=").find(c) != std::string_view::npos) {
      t.text = std::string(1, c);
      advance();
    } else {
      fail("{}:{}:{}: unexpected character '{}'", file_, line_, col_, c);
    }
    return t;
  }

  std::string string_literal(const Token& t) {
    advance();
    std::string out;
    while (i_ < s_.size() && s_[i_] != '"' && s_[i_] != '\n') {
      if (s_[i_] == '\\' && i_ + 1 < s_.size()) advance();
      out += s_[i_];
      advance();
    }
    if (i_ >= s_.size() || s_[i_] != '"') fail("{}:{}:{}: unterminated string", file_, t.line, t.col);
    advance();
    return out;
  }

  // A sign, then digits, '.', exponent; or a signed "inf"/"nan".
  std::string number() {
    std::string t;
    if (s_[i_] == '-' || s_[i_] == '+') t += s_[i_], advance();
    while (i_ < s_.size()) {
      char c = s_[i_];
      bool exp_sign = (c == '-' || c == '+') && !t.empty() && (t.back() == 'e' || t.back() == 'E');
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || exp_sign)) break;
      t += c;
      advance();
    }
    return t;
  }

  std::string_view s_;
  const std::string& file_;
  size_t i_ = 0;
  int line_ = 1, col_ = 1;
};

}  // namespace

std::vector<Token> lex(std::string_view text, const std::string& file) { return Lexer(text, file).run(); }

}  // namespace minigrad::ir
