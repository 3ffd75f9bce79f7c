// Reading and writing .npy files; see npy.h. The header dict is parsed by a small
// hand-written reader for exactly the Python literals NumPy writes there (strings,
// True/False, tuples of integers), so no general-purpose parser is needed.
#include "runtime/npy.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>
#include <string>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "ir/checked.h"
#include "ir/error.h"
#include "runtime/atomic_file.h"

namespace minigrad::runtime {

static_assert(std::endian::native == std::endian::little,
              "the .npy reader copies little-endian bytes as they are");

namespace {

constexpr std::string_view kMagic = "\x93NUMPY";
constexpr size_t kMaxHeaderLen = 1 << 20;  // NumPy's own headers are < 10 KB
constexpr size_t kAlign = 64;              // data starts at a multiple of this

struct DTypeInfo {
  NpyDType dtype;
  char kind;  // NumPy's kind letter: u, b, i, f
  size_t size;
  std::string_view name;
};

constexpr std::array<DTypeInfo, 6> kDTypes = {{
    {NpyDType::U8, 'u', 1, "uint8"},
    {NpyDType::Bool, 'b', 1, "bool"},
    {NpyDType::I32, 'i', 4, "int32"},
    {NpyDType::I64, 'i', 8, "int64"},
    {NpyDType::F32, 'f', 4, "float32"},
    {NpyDType::F64, 'f', 8, "float64"},
}};

const DTypeInfo& info(NpyDType d) {
  for (const DTypeInfo& i : kDTypes)
    if (i.dtype == d) return i;
  fail("npy: unknown dtype {}", static_cast<int>(d));
}

std::string descr_of(NpyDType d) {
  const DTypeInfo& i = info(d);
  return fmt::format("{}{}{}", i.size == 1 ? '|' : '<', i.kind, i.size);
}

// '<f4' -> F32. A one-byte type may carry any byte-order mark; wider ones must be
// little-endian ('<', or '=' which is native, i.e. little-endian here).
NpyDType parse_descr(const std::string& descr, const std::string& file) {
  auto unsupported = [&] {
    fail("{}: unsupported dtype '{}' (supported: uint8, bool, int32, int64, float32, float64)",
         file, descr);
  };
  if (descr.size() != 3 || !std::isdigit(static_cast<unsigned char>(descr[2]))) unsupported();
  char order = descr[0], kind = descr[1];
  size_t size = static_cast<size_t>(descr[2] - '0');
  if (std::string_view("<>|=").find(order) == std::string_view::npos) unsupported();
  if (order == '>' && size > 1) fail("{}: big-endian dtype '{}' is not supported", file, descr);
  if (order == '|' && size > 1) unsupported();
  for (const DTypeInfo& i : kDTypes)
    if (i.kind == kind && i.size == size) return i.dtype;
  unsupported();
  return NpyDType::U8;  // not reached
}

// ---- Header dict -------------------------------------------------------------------

struct Header {
  std::string descr;
  bool fortran_order = false;
  std::vector<int64_t> shape;
};

// Parses {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), } followed by
// whitespace. Keys may come in any order and use either quote; each must appear once.
class HeaderParser {
 public:
  HeaderParser(std::string_view text, const std::string& file) : s_(text), file_(file) {}

  Header parse() {
    expect('{');
    std::optional<std::string> descr;
    std::optional<bool> fortran;
    std::optional<std::vector<int64_t>> shape;
    while (!accept('}')) {
      std::string key = string();
      expect(':');
      if (key == "descr") set_once(descr, string(), key);
      else if (key == "fortran_order") set_once(fortran, boolean(), key);
      else if (key == "shape") set_once(shape, tuple(), key);
      else bad(fmt::format("unexpected key '{}'", key));
      if (!accept(',')) {
        expect('}');
        break;
      }
    }
    skip_space();
    if (i_ != s_.size()) bad("text after the closing '}'");
    if (!descr || !fortran || !shape) bad("it needs the keys 'descr', 'fortran_order' and 'shape'");
    return Header{*descr, *fortran, *shape};
  }

 private:
  [[noreturn]] void bad(std::string_view what) {
    std::string_view shown = s_.substr(0, std::min<size_t>(s_.find_last_not_of(" \n") + 1, 200));
    fail("{}: unparseable header dict ({} at offset {}): {}", file_, what, i_, shown);
  }

  template <typename T>
  void set_once(std::optional<T>& slot, T value, const std::string& key) {
    if (slot) bad(fmt::format("key '{}' appears twice", key));
    slot = std::move(value);
  }

  void skip_space() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  bool accept(char c) {
    skip_space();
    if (i_ < s_.size() && s_[i_] == c) return ++i_, true;
    return false;
  }
  void expect(char c) {
    if (!accept(c)) bad(fmt::format("expected '{}'", c));
  }
  bool accept_word(std::string_view w) {
    skip_space();
    if (s_.substr(i_, w.size()) != w) return false;
    i_ += w.size();
    return true;
  }

  std::string string() {
    skip_space();
    if (i_ >= s_.size() || (s_[i_] != '\'' && s_[i_] != '"')) bad("expected a quoted string");
    char quote = s_[i_++];
    size_t end = s_.find(quote, i_);
    if (end == std::string_view::npos) bad("unterminated string");
    std::string out(s_.substr(i_, end - i_));
    i_ = end + 1;
    return out;
  }

  bool boolean() {
    if (accept_word("True")) return true;
    if (accept_word("False")) return false;
    bad("expected True or False");
  }

  int64_t integer() {
    skip_space();
    size_t start = i_;
    int64_t v = 0;
    while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) {
      if (v > (std::numeric_limits<int64_t>::max() - 9) / 10) bad("extent too large");
      v = v * 10 + (s_[i_++] - '0');
    }
    if (i_ == start) bad("expected a non-negative integer extent");
    if (i_ < s_.size() && s_[i_] == 'L') ++i_;  // Python 2 long, as old NumPy wrote
    return v;
  }

  // (3, 4) or (5,) or (); a list [3, 4] is accepted too.
  std::vector<int64_t> tuple() {
    char close = accept('(') ? ')' : accept('[') ? ']' : '\0';
    if (close == '\0') bad("expected a shape tuple");
    std::vector<int64_t> dims;
    while (!accept(close)) {
      dims.push_back(integer());
      if (!accept(',')) {
        expect(close);
        break;
      }
    }
    return dims;
  }

  std::string_view s_;
  size_t i_ = 0;
  const std::string& file_;
};

// ---- Reading -----------------------------------------------------------------------

// A gzFile that closes itself; reads exactly as many bytes as asked unless the file ends.
class GzReader {
 public:
  explicit GzReader(const std::filesystem::path& path) : file_(path.string()) {
    errno = 0;
    gz_ = gzopen(file_.c_str(), "rb");
    if (gz_ == nullptr)
      fail("{}: cannot open: {}", file_, errno != 0 ? std::strerror(errno) : "out of memory");
  }
  ~GzReader() { gzclose(gz_); }
  GzReader(const GzReader&) = delete;
  GzReader& operator=(const GzReader&) = delete;

  const std::string& file() const { return file_; }

  // Returns the number of bytes read (< n only at the end of the file).
  size_t read(void* dst, size_t n) {
    size_t done = 0;
    while (done < n) {
      unsigned chunk = static_cast<unsigned>(std::min<size_t>(n - done, 1u << 30));
      int got = gzread(gz_, static_cast<char*>(dst) + done, chunk);
      if (got < 0) fail("{}: read error: {}", file_, error_text());
      if (got == 0) break;
      done += static_cast<size_t>(got);
    }
    return done;
  }

 private:
  std::string error_text() {
    int code = 0;
    const char* msg = gzerror(gz_, &code);
    if (code == Z_ERRNO) return std::strerror(errno);
    std::string text = msg != nullptr ? msg : "unknown zlib error";
    if (text.starts_with(file_ + ": ")) text.erase(0, file_.size() + 2);  // zlib adds the path
    return text;
  }

  std::string file_;
  gzFile gz_ = nullptr;
};

uint32_t little_endian(const unsigned char* p, int bytes) {
  uint32_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// Reads the magic, version and header length; returns the header text.
std::string read_header_text(GzReader& in) {
  unsigned char pre[12];
  size_t got = in.read(pre, 8);
  if (got < kMagic.size() || std::memcmp(pre, kMagic.data(), kMagic.size()) != 0)
    fail("{}: bad magic: not a .npy file (it must start with \\x93NUMPY)", in.file());
  if (got < 8) fail("{}: truncated header", in.file());
  int major = pre[6], minor = pre[7];
  if (major < 1 || major > 3 || minor != 0)
    fail("{}: unsupported .npy format version {}.{} (supported: 1.0, 2.0, 3.0)", in.file(), major,
         minor);
  int len_bytes = major == 1 ? 2 : 4;
  if (in.read(pre + 8, static_cast<size_t>(len_bytes)) < static_cast<size_t>(len_bytes))
    fail("{}: truncated header", in.file());
  size_t len = little_endian(pre + 8, len_bytes);
  if (len > kMaxHeaderLen) fail("{}: header length {} is implausibly large", in.file(), len);
  std::string text(len, '\0');
  if (in.read(text.data(), len) < len) fail("{}: truncated header", in.file());
  return text;
}

void check_rank(const std::vector<int64_t>& shape, std::initializer_list<int> ranks,
                const std::string& file) {
  if (ranks.size() == 0) return;
  for (int r : ranks)
    if (static_cast<size_t>(r) == shape.size()) return;
  fail("{}: expected an array of rank {}, got shape {} (rank {})", file,
       fmt::join(ranks, " or "), shape_string(shape), shape.size());
}

size_t data_bytes(const std::vector<int64_t>& shape, size_t item, const std::string& file) {
  std::optional<int64_t> n = ir::product_checked(shape, static_cast<int64_t>(item));
  if (!n) fail("{}: shape {} is too large: its bytes would not fit a 64-bit size", file, shape_string(shape));
  return static_cast<size_t>(*n);
}

// Reads exactly `bytes` bytes of data, then checks nothing follows. The buffer grows
// as data arrives, so a corrupt shape cannot demand a huge allocation up front.
std::vector<std::byte> read_data(GzReader& in, size_t bytes) {
  constexpr size_t kChunk = size_t{16} << 20;
  std::vector<std::byte> data;
  while (data.size() < bytes) {
    size_t old = data.size(), want = std::min(kChunk, bytes - old);
    data.resize(old + want);
    size_t got = in.read(data.data() + old, want);
    if (got < want)
      fail("{}: truncated data: the shape needs {} bytes, the file has {}", in.file(), bytes,
           old + got);
  }
  std::byte extra;
  if (in.read(&extra, 1) != 0)
    fail("{}: trailing bytes after the {} bytes of data the shape needs", in.file(), bytes);
  return data;
}

// ---- Conversion --------------------------------------------------------------------

template <typename Fn>
void for_each_value(const NpyArray& a, Fn&& fn) {
  int64_t n = a.numel();
  auto each = [&](auto tag) {
    using T = decltype(tag);
    const T* p = a.as<T>();
    for (int64_t i = 0; i < n; ++i) fn(i, p[i]);
  };
  switch (a.dtype) {
    case NpyDType::U8: each(uint8_t{}); break;
    case NpyDType::Bool: each(uint8_t{}); break;
    case NpyDType::I32: each(int32_t{}); break;
    case NpyDType::I64: each(int64_t{}); break;
    case NpyDType::F32: each(float{}); break;
    case NpyDType::F64: each(double{}); break;
  }
}

template <typename V>
int32_t checked_i32(V v, int64_t index, std::string_view what) {
  double d = static_cast<double>(v);
  if (!(d >= std::numeric_limits<int32_t>::min() && d <= std::numeric_limits<int32_t>::max()) ||
      d != std::floor(d))
    fail("{}: element {} is {}, not an int32 value", what, index, v);
  return static_cast<int32_t>(v);
}

// ---- Writing -----------------------------------------------------------------------

std::string header_dict(const NpyArray& a) {
  std::string shape = a.shape.size() == 1 ? fmt::format("({},)", a.shape[0])
                                          : fmt::format("({})", fmt::join(a.shape, ", "));
  return fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': {}, }}",
                     descr_of(a.dtype), shape);
}

// Magic, version, length and the dict padded with spaces and '\n' to a multiple of 64.
std::string header_bytes(const NpyArray& a, int version) {
  if (version < 1 || version > 3) fail("npy: cannot write format version {}", version);
  size_t len_bytes = version == 1 ? 2 : 4;
  std::string dict = header_dict(a);
  size_t total = kMagic.size() + 2 + len_bytes + dict.size() + 1;
  dict.append((kAlign - total % kAlign) % kAlign, ' ');
  dict.push_back('\n');
  std::string out(kMagic);
  out.push_back(static_cast<char>(version));
  out.push_back(0);
  for (size_t i = 0; i < len_bytes; ++i)
    out.push_back(static_cast<char>((dict.size() >> (8 * i)) & 0xff));
  if (version == 1 && dict.size() > 0xffff) fail("npy: header too long for version 1.0");
  return out + dict;
}

}  // namespace

std::string_view npy_dtype_name(NpyDType d) { return info(d).name; }
size_t npy_dtype_size(NpyDType d) { return info(d).size; }

int64_t NpyArray::numel() const {
  std::optional<int64_t> n = ir::product_checked(shape);
  if (!n) fail("an array of shape {} has more elements than a 64-bit count holds", shape_string(shape));
  return *n;
}

std::string shape_string(const std::vector<int64_t>& shape) {
  if (shape.size() == 1) return fmt::format("({},)", shape[0]);
  return fmt::format("({})", fmt::join(shape, ", "));
}

NpyArray read_npy(const std::filesystem::path& path, std::initializer_list<int> ranks) {
  GzReader in(path);
  Header h = HeaderParser(read_header_text(in), in.file()).parse();
  NpyArray a;
  a.dtype = parse_descr(h.descr, in.file());
  if (h.fortran_order)
    fail("{}: fortran_order True is not supported (save the array in C order)", in.file());
  a.shape = std::move(h.shape);
  check_rank(a.shape, ranks, in.file());
  a.data = read_data(in, data_bytes(a.shape, npy_dtype_size(a.dtype), in.file()));
  return a;
}

Buffer to_buffer(const NpyArray& a, ir::DType to, std::string_view what) {
  for (int64_t d : a.shape)
    if (d < 1) fail("{}: empty array of shape {}", what, shape_string(a.shape));
  Buffer b = Buffer::uninitialized(ir::Type{to, ir::Shape(a.shape)});  // every element written below
  switch (to) {
    case ir::DType::F32:
      for_each_value(a, [&](int64_t i, auto v) { b.as<float>()[i] = static_cast<float>(v); });
      break;
    case ir::DType::F64:
      for_each_value(a, [&](int64_t i, auto v) { b.as<double>()[i] = static_cast<double>(v); });
      break;
    case ir::DType::I32:
      for_each_value(a, [&](int64_t i, auto v) { b.as<int32_t>()[i] = checked_i32(v, i, what); });
      break;
  }
  return b;
}

NpyArray from_buffer(const Buffer& b) {
  NpyArray a;
  switch (b.type().dtype) {
    case ir::DType::F32: a.dtype = NpyDType::F32; break;
    case ir::DType::F64: a.dtype = NpyDType::F64; break;
    case ir::DType::I32: a.dtype = NpyDType::I32; break;
  }
  a.shape = b.type().shape.dims;
  const auto* p = static_cast<const std::byte*>(b.data());
  a.data.assign(p, p + b.bytes());
  return a;
}

void write_npy(const std::filesystem::path& path, const NpyArray& a, int version) {
  if (a.numel() < 0 || a.data.size() != static_cast<size_t>(a.numel()) * npy_dtype_size(a.dtype))
    fail("{}: cannot write: {} bytes of data do not fill shape {} of {}", path.string(),
         a.data.size(), shape_string(a.shape), npy_dtype_name(a.dtype));
  std::string header = header_bytes(a, version);
  AtomicFile out(path);
  out.write(header.data(), header.size());
  out.write(a.data.data(), a.data.size());
  out.commit();
}

}  // namespace minigrad::runtime
