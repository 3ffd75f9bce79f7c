// Reading and writing safetensors files; see safetensors.h. The JSON header is
// parsed and written with nlohmann-json.
#include "runtime/safetensors.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <fstream>
#include <limits>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "ir/checked.h"
#include "ir/error.h"
#include "runtime/atomic_file.h"

namespace minigrad::runtime {

static_assert(std::endian::native == std::endian::little, "safetensors data are copied as they are");

namespace {

constexpr uint64_t kMaxHeader = 100'000'000;  // the reference implementation's limit

struct DTypeInfo {
  StDType dtype;
  std::string_view name;
  size_t size;
};
constexpr std::array<DTypeInfo, 10> kDTypes{{{StDType::F64, "F64", 8},
                                             {StDType::F32, "F32", 4},
                                             {StDType::F16, "F16", 2},
                                             {StDType::BF16, "BF16", 2},
                                             {StDType::I64, "I64", 8},
                                             {StDType::I32, "I32", 4},
                                             {StDType::I16, "I16", 2},
                                             {StDType::I8, "I8", 1},
                                             {StDType::U8, "U8", 1},
                                             {StDType::Bool, "BOOL", 1}}};

const DTypeInfo& info(StDType d) { return kDTypes[static_cast<size_t>(d)]; }

std::vector<std::byte> read_all(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("{}: cannot open checkpoint", path.string());
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) fail("{}: cannot read", path.string());
  std::vector<std::byte> out(bytes.size());
  if (!bytes.empty()) std::memcpy(out.data(), bytes.data(), bytes.size());  // an empty vector's data() may be null
  return out;
}

// Element count of `shape`, with an Error instead of overflow.
int64_t checked_numel(const std::vector<int64_t>& shape, const std::string& where) {
  for (int64_t d : shape)
    if (d < 0) fail("{}: negative extent in shape {}", where, st_shape_string(shape));
  std::optional<int64_t> n = ir::product_checked(shape);
  if (!n) fail("{}: shape {} has more elements than a 64-bit count holds", where, st_shape_string(shape));
  return *n;
}

struct Entry {
  StTensor tensor;
  uint64_t begin = 0, end = 0;
};

Entry parse_entry(const std::string& name, const nlohmann::json& j, const std::string& file) {
  std::string where = fmt::format("{}: tensor '{}'", file, name);
  if (!j.is_object()) fail("{}: header entry is not an object", where);
  Entry e;
  e.tensor.name = name;
  const auto dt = j.find("dtype");
  if (dt == j.end() || !dt->is_string()) fail("{}: no dtype", where);
  auto known = std::find_if(kDTypes.begin(), kDTypes.end(), [&](const DTypeInfo& i) { return i.name == dt->get<std::string>(); });
  if (known == kDTypes.end()) fail("{}: unsupported dtype '{}'", where, dt->get<std::string>());
  e.tensor.dtype = known->dtype;
  const auto shape = j.find("shape");
  if (shape == j.end() || !shape->is_array()) fail("{}: no shape", where);
  for (const auto& d : *shape) {
    if (!d.is_number_integer()) fail("{}: shape {} is not a list of integers", where, shape->dump());
    e.tensor.shape.push_back(d.get<int64_t>());
  }
  const auto off = j.find("data_offsets");
  if (off == j.end() || !off->is_array() || off->size() != 2 || !(*off)[0].is_number_unsigned() ||
      !(*off)[1].is_number_unsigned())
    fail("{}: data_offsets is not [begin, end]", where);
  e.begin = (*off)[0].get<uint64_t>(), e.end = (*off)[1].get<uint64_t>();
  int64_t numel = checked_numel(e.tensor.shape, where);
  std::optional<int64_t> bytes = ir::mul_checked(numel, static_cast<int64_t>(known->size));
  if (!bytes) fail("{}: {} {} needs more bytes than a 64-bit size holds", where, known->name, st_shape_string(e.tensor.shape));
  uint64_t want = static_cast<uint64_t>(*bytes);
  if (e.end < e.begin || e.end - e.begin != want)
    fail("{}: data_offsets [{}, {}] hold {} bytes, but {} {} needs {}", where, e.begin, e.end,
         e.end < e.begin ? 0 : e.end - e.begin, known->name, st_shape_string(e.tensor.shape), want);
  return e;
}

std::map<std::string, std::string> parse_metadata(const nlohmann::json& j, const std::string& file) {
  if (!j.is_object()) fail("{}: __metadata__ is not an object of strings", file);
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : j.items()) {
    if (!v.is_string()) fail("{}: __metadata__ entry '{}' is not a string", file, k);
    out[k] = v.get<std::string>();
  }
  return out;
}

// The tensors must tile the data: sorted by offset, each starts where the last ended.
void check_coverage(std::vector<Entry>& entries, uint64_t data_bytes, const std::string& file) {
  std::vector<const Entry*> sorted;
  for (const Entry& e : entries) sorted.push_back(&e);
  std::sort(sorted.begin(), sorted.end(), [](const Entry* a, const Entry* b) {
    return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
  });
  uint64_t at = 0;
  for (const Entry* e : sorted) {
    if (e->begin != at)
      fail("{}: tensor '{}' starts at byte {} of the data, expected {} ({})", file, e->tensor.name, e->begin, at,
           e->begin < at ? "it overlaps another tensor" : "a hole before it");
    at = e->end;
  }
  if (at != data_bytes)
    fail("{}: the tensors cover {} bytes of data but the file holds {} after its header{}", file, at, data_bytes,
         at > data_bytes ? " (truncated?)" : "");
}

}  // namespace

std::string_view st_dtype_name(StDType d) { return info(d).name; }
size_t st_dtype_size(StDType d) { return info(d).size; }

int64_t StTensor::numel() const { return checked_numel(shape, name); }

const StTensor* SafeTensors::find(const std::string& name) const {
  for (const StTensor& t : tensors)
    if (t.name == name) return &t;
  return nullptr;
}

std::string st_shape_string(const std::vector<int64_t>& shape) { return fmt::format("[{}]", fmt::join(shape, ", ")); }

SafeTensors read_safetensors(const std::filesystem::path& path) {
  std::string file = path.string();
  std::vector<std::byte> bytes = read_all(path);
  if (bytes.size() < 8) fail("{}: not a safetensors file ({} bytes, shorter than its 8-byte header length)", file, bytes.size());
  uint64_t n = 0;
  std::memcpy(&n, bytes.data(), 8);
  if (n > kMaxHeader || n > bytes.size() - 8)
    fail("{}: not a safetensors file (header length {} exceeds the file's {} bytes)", file, n, bytes.size());
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(reinterpret_cast<const char*>(bytes.data()) + 8,
                                   reinterpret_cast<const char*>(bytes.data()) + 8 + n);
  } catch (const nlohmann::json::exception& e) {
    fail("{}: not a safetensors file (its header is not JSON: {})", file, e.what());
  }
  if (!header.is_object()) fail("{}: not a safetensors file (its header is not a JSON object)", file);
  SafeTensors st;
  std::vector<Entry> entries;
  for (const auto& [name, value] : header.items()) {
    if (name == "__metadata__") st.metadata = parse_metadata(value, file);
    else entries.push_back(parse_entry(name, value, file));
  }
  uint64_t data_bytes = bytes.size() - 8 - n;
  check_coverage(entries, data_bytes, file);
  const std::byte* data = bytes.data() + 8 + n;
  for (Entry& e : entries) {
    e.tensor.data.assign(data + e.begin, data + e.end);
    st.tensors.push_back(std::move(e.tensor));
  }
  std::sort(st.tensors.begin(), st.tensors.end(), [](const StTensor& a, const StTensor& b) { return a.name < b.name; });
  return st;
}

void write_safetensors(const std::filesystem::path& path, const SafeTensors& st) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!st.metadata.empty()) header["__metadata__"] = st.metadata;
  std::set<std::string> names;
  uint64_t at = 0;
  for (const StTensor& t : st.tensors) {
    if (t.name == "__metadata__" || !names.insert(t.name).second)
      fail("{}: cannot write: tensor name '{}' is reserved or repeated", path.string(), t.name);
    uint64_t want = static_cast<uint64_t>(ir::checked_mul(checked_numel(t.shape, path.string()),
                                                          static_cast<int64_t>(st_dtype_size(t.dtype)), path.string()));
    if (t.data.size() != want)
      fail("{}: cannot write tensor '{}': {} bytes for {} {}", path.string(), t.name, t.data.size(),
           st_dtype_name(t.dtype), st_shape_string(t.shape));
    header[t.name] = {{"dtype", st_dtype_name(t.dtype)}, {"shape", t.shape}, {"data_offsets", {at, at + want}}};
    at += want;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  uint64_t n = text.size();
  AtomicFile out(path);
  out.write(&n, 8);
  out.write(text);
  for (const StTensor& t : st.tensors) out.write(t.data.data(), t.data.size());
  out.commit();
}

}  // namespace minigrad::runtime
