// Recursive-descent parser of the IR text form; see parser.h and printer.h.
#include "ir/parser.h"

#include "ir/checked.h"

#include <charconv>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

#include "ir/error.h"
#include "ir/lexer.h"
#include "ir/verifier.h"

namespace minigrad::ir {
namespace {

class Parser {
 public:
  Parser(std::string_view text, const std::string& file) : file_(file), toks_(lex(text, file)) {}

  Module module() {
    Module m;
    expect_ident("module");
    m.name = expect(Token::Kind::Global, "a module name like @model").text;
    expect_punct("{");
    while (!at_punct("}")) {
      if (at_ident("state")) m.states.push_back(state());
      else if (at_ident("func")) function(m);
      else error(peek(), "expected 'state', 'func' or '}}'");
    }
    expect_punct("}");
    if (peek().kind != Token::Kind::End) error(peek(), "unexpected text after the module");
    return m;
  }

 private:
  // ---- token helpers
  const Token& peek(size_t ahead = 0) const { return toks_[std::min(pos_ + ahead, toks_.size() - 1)]; }
  const Token& take() { return toks_[pos_ < toks_.size() - 1 ? pos_++ : pos_]; }
  bool at_punct(const char* p) const { return peek().kind == Token::Kind::Punct && peek().text == p; }
  bool at_ident(const char* w) const { return peek().kind == Token::Kind::Ident && peek().text == w; }

  template <typename... Args>
  [[noreturn]] void error(const Token& t, fmt::format_string<Args...> f, Args&&... args) {
    throw Error(fmt::format("{}:{}:{}: {}", file_, t.line, t.col, fmt::format(f, std::forward<Args>(args)...)));
  }

  const Token& expect(Token::Kind k, const char* what) {
    if (peek().kind != k) error(peek(), "expected {}, got '{}'", what, peek().text);
    return take();
  }
  void expect_punct(const char* p) {
    if (!at_punct(p)) error(peek(), "expected '{}', got '{}'", p, peek().text);
    take();
  }
  void expect_ident(const char* w) {
    if (!at_ident(w)) error(peek(), "expected '{}', got '{}'", w, peek().text);
    take();
  }

  // ---- numbers
  double number(const Token& t) {
    std::string_view s = t.text;
    if (s == "inf" || s == "+inf") return INFINITY;
    if (s == "-inf") return -INFINITY;
    if (s == "nan") return NAN;
    if (!s.empty() && s[0] == '+') s.remove_prefix(1);
    double v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size()) error(t, "'{}' is not a number", t.text);
    return v;
  }
  double take_number() {
    const Token& t = take();
    if (t.kind != Token::Kind::Number && !(t.kind == Token::Kind::Ident && (t.text == "inf" || t.text == "nan")))
      error(t, "expected a number, got '{}'", t.text);
    return number(t);
  }
  int64_t take_int() {
    const Token& t = expect(Token::Kind::Number, "an integer");
    int64_t v = 0;
    auto [end, ec] = std::from_chars(t.text.data(), t.text.data() + t.text.size(), v);
    if (ec != std::errc() || end != t.text.data() + t.text.size()) error(t, "'{}' is not an integer", t.text);
    return v;
  }
  std::vector<int64_t> int_list() {
    expect_punct("[");
    std::vector<int64_t> v;
    while (!at_punct("]")) {
      if (!v.empty()) expect_punct(",");
      v.push_back(take_int());
    }
    expect_punct("]");
    return v;
  }

  // ---- types and state declarations
  Type type() {
    const Token& t = expect(Token::Kind::Ident, "a type like f32[64,128]");
    Type ty;
    if (!parse_dtype(t.text, &ty.dtype)) error(t, "unknown element type '{}' (f32, f64 or i32)", t.text);
    const Token& at = peek();
    ty.shape = Shape(int_list());
    for (int64_t d : ty.shape.dims)
      if (d < 1) error(at, "extents must be >= 1, got {}", to_string(ty.shape));
    if (!product_checked(ty.shape.dims, 8))  // the rule of Shape::numel (types.cpp)
      error(at, "{} is too large: its bytes would not fit a 64-bit size", to_string(ty));
    return ty;
  }

  StateDecl state() {
    expect_ident("state");
    StateDecl s;
    s.name = expect(Token::Kind::String, "a state name in quotes").text;
    expect_punct(":");
    s.type = type();
    const Token& role = expect(Token::Kind::Ident, "a role (param, buffer, optim)");
    if (role.text == "param") s.role = StateRole::Param;
    else if (role.text == "buffer") s.role = StateRole::Buffer;
    else if (role.text == "optim") s.role = StateRole::Optim;
    else error(role, "unknown state role '{}' (param, buffer or optim)", role.text);
    s.init = init();
    if (at_ident("torch_transposed")) take(), s.torch_transposed = true;
    return s;
  }

  Init init() {
    const Token& t = expect(Token::Kind::Ident, "an initialiser (zeros, ones, fill, uniform, normal, seed)");
    static const std::map<std::string, std::pair<Init::Kind, int>> kinds = {
        {"zeros", {Init::Kind::Zeros, 0}}, {"ones", {Init::Kind::Ones, 0}},      {"fill", {Init::Kind::Fill, 1}},
        {"uniform", {Init::Kind::Uniform, 2}}, {"normal", {Init::Kind::Normal, 2}}, {"seed", {Init::Kind::Seed, 0}}};
    auto it = kinds.find(t.text);
    if (it == kinds.end()) error(t, "unknown initialiser '{}'", t.text);
    Init init{it->second.first, 0, 0};
    if (it->second.second > 0) {
      expect_punct("(");
      init.a = take_number();
      if (it->second.second > 1) expect_punct(","), init.b = take_number();
      expect_punct(")");
    }
    return init;
  }

  // ---- functions and nodes
  void function(Module& m) {
    expect_ident("func");
    const Token& name = expect(Token::Kind::Global, "a function name like @train_step");
    if (m.find_func(name.text) != nullptr) error(name, "function @{} is defined twice", name.text);
    Function& f = m.add_func(name.text);
    names_.clear();
    expect_punct("{");
    while (!at_punct("}")) node(f);
    expect_punct("}");
  }

  struct Result {
    Token tok;
    Type type;
  };

  void node(Function& f) {
    std::vector<Result> results;
    if (peek().kind == Token::Kind::Value) {
      do {
        if (!results.empty()) expect_punct(",");
        Token t = expect(Token::Kind::Value, "a result name like %3");
        expect_punct(":");
        results.push_back({t, type()});
      } while (at_punct(","));
      expect_punct("=");
    }
    const Token op_tok = expect(Token::Kind::Ident, "an op name");
    auto op = op_by_name(op_tok.text);
    if (!op) error(op_tok, "unknown op '{}'", op_tok.text);
    std::vector<ValueId> operands = operand_list();
    Attrs attrs = attributes(op_info(*op));
    Locs locs = at_ident("loc") ? loc_list() : Locs{};
    std::shared_ptr<const Function> body = at_ident("body") ? fused_body() : nullptr;
    create(f, op_tok, *op, std::move(operands), std::move(attrs), std::move(locs), results, std::move(body));
  }

  // body { nodes }: a nested function with its own value names.
  std::shared_ptr<const Function> fused_body() {
    expect_ident("body");
    auto body = std::make_shared<Function>("body");
    std::map<std::string, ValueId> outer = std::move(names_);
    names_.clear();
    expect_punct("{");
    while (!at_punct("}")) node(*body);
    expect_punct("}");
    names_ = std::move(outer);
    return body;
  }

  std::vector<ValueId> operand_list() {
    std::vector<ValueId> v;
    if (!at_punct("(")) return v;
    take();
    while (!at_punct(")")) {
      if (!v.empty()) expect_punct(",");
      const Token& t = expect(Token::Kind::Value, "an operand like %3");
      auto it = names_.find(t.text);
      if (it == names_.end()) error(t, "%{} is not defined before this use", t.text);
      v.push_back(it->second);
    }
    take();
    return v;
  }

  Attrs attributes(const OpInfo& info) {
    Attrs attrs;
    if (!at_punct("{")) return attrs;
    take();
    while (!at_punct("}")) {
      if (!attrs.items().empty()) expect_punct(",");
      const Token name = expect(Token::Kind::Ident, "an attribute name");
      expect_punct("=");
      const AttrSpec* spec = info.attr(name.text);
      if (spec == nullptr) error(name, "{} has no attribute '{}'", info.name, name.text);
      if (attrs.has(name.text)) error(name, "attribute '{}' is given twice", name.text);
      attrs.set(name.text, attr_value(*spec));
    }
    take();
    return attrs;
  }

  AttrValue attr_value(const AttrSpec& spec) {
    const Token& t = peek();
    switch (spec.kind) {
      case AttrKind::Int: return take_int();
      case AttrKind::Float: return take_number();
      case AttrKind::Bool:
        if (at_ident("true") || at_ident("false")) return take().text == "true";
        error(t, "attribute '{}' must be true or false", spec.name);
      case AttrKind::Str: return expect(Token::Kind::String, "a string in quotes").text;
      case AttrKind::Ints: return int_list();
    }
    error(t, "bad attribute");
  }

  Locs loc_list() {
    expect_ident("loc");
    expect_punct("(");
    Locs locs;
    while (!at_punct(")")) {
      if (!locs.empty()) expect_punct(",");
      SourceLoc l;
      l.file = expect(Token::Kind::String, "a file name in quotes").text;
      expect_punct(":");
      l.line = static_cast<int>(take_int());
      expect_punct(":");
      l.col = static_cast<int>(take_int());
      locs.push_back(std::move(l));
    }
    take();
    return locs;
  }

  void create(Function& f, const Token& op_tok, Op op, std::vector<ValueId> operands, Attrs attrs, Locs locs,
              const std::vector<Result>& results, std::shared_ptr<const Function> body) {
    const OpInfo& info = op_info(op);
    std::vector<Type> declared;
    for (const Result& r : results) declared.push_back(r.type);
    Node* n = nullptr;
    try {
      n = &f.append(op, std::move(operands), std::move(attrs), std::move(locs),
                    info.type_rule == nullptr ? declared : std::vector<Type>{}, std::move(body));
    } catch (const Error& e) {
      error(op_tok, "{}", e.what());
    }
    if (n->results.size() != results.size())
      error(op_tok, "{} has {} result(s), the text names {}", info.name, n->results.size(), results.size());
    for (size_t r = 0; r < results.size(); ++r) {
      if (f.type(n->results[r]) != results[r].type)
        error(results[r].tok, "%{} is declared {}, but {} gives {}", results[r].tok.text,
              to_string(results[r].type), info.name, to_string(f.type(n->results[r])));
      if (!names_.emplace(results[r].tok.text, n->results[r]).second)
        error(results[r].tok, "%{} is defined twice", results[r].tok.text);
    }
  }

  std::string file_;
  std::vector<Token> toks_;
  size_t pos_ = 0;
  std::map<std::string, ValueId> names_;
};

}  // namespace

Module parse_module(std::string_view text, const std::string& file) {
  Module m = Parser(text, file).module();
  try {
    verify(m);
  } catch (const Error& e) {
    fail("{}: {}", file, e.what());
  }
  return m;
}

Module parse_module_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) fail("{}: cannot open IR file", path);
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_module(ss.str(), path);
}

}  // namespace minigrad::ir
