// Checkpoint files: states <-> safetensors tensors, strict loading, the model file
// and its training state; see checkpoint.h. The metadata formats are in
// checkpoint_meta.cpp.
#include "runtime/checkpoint.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "ir/error.h"
#include "runtime/run_config_json.h"
#include "runtime/safetensors.h"

namespace minigrad::runtime {
namespace {

using json = nlohmann::json;
constexpr const char* kHashKey = "minigrad.model_hash";

// The file's layout of a state: PyTorch's for the model file ([out, in] for a
// Linear weight, I64 for integers), minigrad's own for the training state.
struct Layout {
  bool torch = true;
  bool transposed(const ir::StateDecl& s) const { return torch && s.torch_transposed && s.type.shape.rank() == 2; }
  std::vector<int64_t> shape(const ir::StateDecl& s) const {
    std::vector<int64_t> d = s.type.shape.dims;
    if (transposed(s)) std::swap(d[0], d[1]);
    return d;
  }
  StDType dtype(const ir::StateDecl& s) const {
    switch (s.type.dtype) {
      case ir::DType::F32: return StDType::F32;
      case ir::DType::F64: return StDType::F64;
      case ir::DType::I32: return torch ? StDType::I64 : StDType::I32;
    }
    return StDType::F32;
  }
};

// Element `k` of the state in file order: the same index, or the transposed one.
int64_t source_index(const ir::StateDecl& s, const Layout& l, int64_t k) {
  if (!l.transposed(s)) return k;
  int64_t rows = s.type.shape[0], cols = s.type.shape[1];  // minigrad [in, out]
  int64_t o = k / rows, i = k % rows;                       // file [out, in]
  return i * cols + o;
}

template <typename From, typename To>
void copy_out(const ir::StateDecl& s, const Layout& l, const Buffer& b, std::vector<std::byte>& out) {
  out.resize(static_cast<size_t>(b.numel()) * sizeof(To));
  auto* dst = reinterpret_cast<To*>(out.data());
  const From* src = b.as<From>();
  for (int64_t k = 0; k < b.numel(); ++k) dst[k] = static_cast<To>(src[source_index(s, l, k)]);
}

StTensor to_tensor(const ir::StateDecl& s, const Layout& l, const Buffer& b) {
  StTensor t{s.name, l.dtype(s), l.shape(s), {}};
  switch (s.type.dtype) {
    case ir::DType::F32: copy_out<float, float>(s, l, b, t.data); break;
    case ir::DType::F64: copy_out<double, double>(s, l, b, t.data); break;
    case ir::DType::I32:
      if (l.torch) copy_out<int32_t, int64_t>(s, l, b, t.data);
      else copy_out<int32_t, int32_t>(s, l, b, t.data);
      break;
  }
  return t;
}

template <typename T>
T element(const StTensor& t, int64_t k) {
  T v;
  std::memcpy(&v, t.data.data() + static_cast<size_t>(k) * sizeof(T), sizeof(T));
  return v;
}

// Element k of `t` as a double (floats) or an int64 (integers).
double float_at(const StTensor& t, int64_t k) {
  return t.dtype == StDType::F32 ? element<float>(t, k) : element<double>(t, k);
}
int64_t int_at(const StTensor& t, int64_t k) {
  return t.dtype == StDType::I32 ? element<int32_t>(t, k) : element<int64_t>(t, k);
}

std::string expected(const ir::StateDecl& s, const Layout& l) {
  return fmt::format("{} {}", st_dtype_name(l.dtype(s)), st_shape_string(l.shape(s)));
}

void check_tensor(const StTensor& t, const ir::StateDecl& s, const Layout& l, const std::string& file) {
  bool is_float = ir::is_float(s.type.dtype);
  bool ok = is_float ? (t.dtype == StDType::F32 || t.dtype == StDType::F64)
                     : (t.dtype == StDType::I64 || t.dtype == StDType::I32);
  if (!ok)
    fail("{}: tensor '{}' is {}, expected {} ({} is read here)", file, s.name, st_dtype_name(t.dtype), expected(s, l),
         is_float ? "F32 or F64" : "I64 or I32");
  if (t.shape != l.shape(s))
    fail("{}: tensor '{}' has shape {}, expected {}", file, s.name, st_shape_string(t.shape), expected(s, l));
}

void load_tensor(const StTensor& t, const ir::StateDecl& s, const Layout& l, Buffer& b, const std::string& file) {
  check_tensor(t, s, l, file);
  for (int64_t k = 0; k < b.numel(); ++k) {
    int64_t at = source_index(s, l, k);
    switch (s.type.dtype) {
      case ir::DType::F32: b.as<float>()[at] = static_cast<float>(float_at(t, k)); break;
      case ir::DType::F64: b.as<double>()[at] = float_at(t, k); break;
      case ir::DType::I32: {
        int64_t v = int_at(t, k);
        if (v < INT32_MIN || v > INT32_MAX) fail("{}: tensor '{}' holds {}, out of int32's range", file, s.name, v);
        b.as<int32_t>()[at] = static_cast<int32_t>(v);
        break;
      }
    }
  }
}

// Loads exactly the states `wanted` selects from `st`: each must be there, and
// nothing else may be.
void load_states(const SafeTensors& st, const ir::Module& m, StateStore& state, const Layout& l,
                 bool (*wanted)(const ir::StateDecl&), const std::string& file) {
  std::set<std::string> used;
  for (const ir::StateDecl& s : m.states) {
    if (!wanted(s)) continue;
    const StTensor* t = st.find(s.name);
    if (!t) fail("{}: no tensor '{}' (expected {})", file, s.name, expected(s, l));
    load_tensor(*t, s, l, state.get(s.name), file);
    used.insert(s.name);
  }
  for (const StTensor& t : st.tensors)
    if (!used.count(t.name)) {
      std::vector<std::string> names(used.begin(), used.end());
      fail("{}: unexpected tensor '{}' {} (the model {} has: {})", file, t.name, st_shape_string(t.shape), m.name,
           fmt::join(names, ", "));
    }
}

bool not_model_state(const ir::StateDecl& s) { return !is_model_state(s); }

// FNV-1a over the tensors' names and bytes in name order: identifies a model file's
// contents whatever order its header lists them in.
std::string content_hash(const SafeTensors& st) {
  std::vector<const StTensor*> sorted;
  for (const StTensor& t : st.tensors) sorted.push_back(&t);
  std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->name < b->name; });
  uint64_t h = 1469598103934665603ull;
  auto mix = [&](const void* p, size_t n) {
    for (size_t i = 0; i < n; ++i) h = (h ^ static_cast<const unsigned char*>(p)[i]) * 1099511628211ull;
  };
  for (const StTensor* t : sorted) mix(t->name.data(), t->name.size() + 1), mix(t->data.data(), t->data.size());
  return fmt::format("{:016x}", h);
}

SafeTensors gather(const ir::Module& m, const StateStore& state, const Layout& l, bool model) {
  SafeTensors st;
  for (const ir::StateDecl& s : m.states)
    if (is_model_state(s) == model) st.tensors.push_back(to_tensor(s, l, state.get(s.name)));
  return st;
}

std::map<std::string, std::string> model_metadata(const CheckpointInfo& info) {
  std::map<std::string, std::string> md{{"format", "pt"}};
  if (info.config) md["minigrad.config"] = info.config->dump();
  if (info.preprocessing) md["minigrad.preprocessing"] = preprocessing_to_json(*info.preprocessing).dump();
  if (info.in_features > 0)
    md["minigrad.shape"] = json{{"in_features", info.in_features}, {"num_classes", info.num_classes}}.dump();
  md["minigrad.progress"] = json{{"epoch", info.epoch}, {"history", history_to_json(info.history)}}.dump();
  return md;
}

json parse_meta(const std::map<std::string, std::string>& md, const std::string& key, const std::string& file) {
  try {
    return json::parse(md.at(key));
  } catch (const json::exception& e) {
    fail("{}: metadata '{}' is not JSON: {}", file, key, e.what());
  }
}

// Whether `train` is a readable training state written with the model file `ckpt`
// as it is now (false if either is missing or damaged).
bool pairs_with(const std::filesystem::path& train, const std::filesystem::path& ckpt) {
  if (!std::filesystem::exists(train) || !std::filesystem::exists(ckpt)) return false;
  try {
    SafeTensors t = read_safetensors(train);
    auto hash = t.metadata.find(kHashKey);
    return hash != t.metadata.end() && hash->second == content_hash(read_safetensors(ckpt));
  } catch (const Error&) {
    return false;
  }
}

}  // namespace

bool is_model_state(const ir::StateDecl& s) {
  return s.role != ir::StateRole::Optim && s.init.kind != ir::Init::Kind::Seed;
}

std::filesystem::path previous_training_state_path(const std::filesystem::path& ckpt) {
  std::filesystem::path p = training_state_path(ckpt);
  std::string name = p.filename().string();
  return p.parent_path() / (name.substr(0, name.size() - std::string(".safetensors").size()) + "-previous.safetensors");
}

std::filesystem::path training_state_path(const std::filesystem::path& ckpt) {
  std::string name = ckpt.filename().string();
  const std::string ext = ".safetensors";
  if (name.size() > ext.size() && name.ends_with(ext)) name.resize(name.size() - ext.size());
  return ckpt.parent_path() / (name + ".train.safetensors");
}

void save_checkpoint(const std::filesystem::path& ckpt, const ir::Module& m, const StateStore& state,
                     const CheckpointInfo& info, bool with_training_state) {
  SafeTensors model = gather(m, state, Layout{true}, true);
  model.metadata = model_metadata(info);
  std::filesystem::path now = training_state_path(ckpt), previous = previous_training_state_path(ckpt);
  if (with_training_state) {
    SafeTensors train = gather(m, state, Layout{false}, false);
    train.metadata = {{kHashKey, content_hash(model)}, {"minigrad.epoch", std::to_string(info.epoch)}};
    // Keep the training state of the model file on disk until the new model file is
    // written: move it aside if it is the current one (if an earlier save was cut
    // short, the one aside is the match, and stays).
    // A state file that is a symlink is kept a link: its target is copied aside.
    if (pairs_with(now, ckpt) && std::filesystem::is_symlink(now))
      std::filesystem::copy_file(now, previous, std::filesystem::copy_options::overwrite_existing);
    else if (pairs_with(now, ckpt))
      std::filesystem::rename(now, previous);
    write_safetensors(now, train);
  }
  write_safetensors(ckpt, model);
  std::error_code ignored;
  std::filesystem::remove(previous, ignored);
}

namespace {
// An integer of the metadata in [min, max], so that nothing wraps on its way into an int.
int64_t meta_int(const json& j, const char* key, int64_t min, int64_t max, const std::string& where) {
  const json v = j.value(key, json());
  if (!v.is_number_integer() || (v.is_number_unsigned() && v.get<uint64_t>() > uint64_t(max)) ||
      (!v.is_number_unsigned() && (v.get<int64_t>() < min || v.get<int64_t>() > max)))
    fail("{}: {} = {}: expected an integer >= {} and <= {}", where, key, v.dump(), min, max);
  return v.get<int64_t>();
}
}  // namespace

CheckpointInfo read_checkpoint_info(const std::filesystem::path& ckpt) {
  std::string file = ckpt.string();
  SafeTensors st = read_safetensors(ckpt);
  CheckpointInfo info;
  const auto& md = st.metadata;
  if (md.count("minigrad.config")) info.config = parse_meta(md, "minigrad.config", file);
  if (md.count("minigrad.preprocessing"))
    info.preprocessing = preprocessing_from_json(parse_meta(md, "minigrad.preprocessing", file), file);
  if (md.count("minigrad.shape")) {
    json s = parse_meta(md, "minigrad.shape", file);
    if (!s.is_object()) fail("{}: metadata 'minigrad.shape' is not a table", file);
    info.in_features = meta_int(s, "in_features", 1, std::numeric_limits<int32_t>::max(), file + ": minigrad.shape");
    info.num_classes = meta_int(s, "num_classes", 1, std::numeric_limits<int32_t>::max(), file + ": minigrad.shape");
  }
  if (md.count("minigrad.progress")) {
    json p = parse_meta(md, "minigrad.progress", file);
    if (!p.is_object()) fail("{}: metadata 'minigrad.progress' is not a table", file);
    info.epoch = static_cast<int>(meta_int(p, "epoch", 0, std::numeric_limits<int>::max(), file + ": minigrad.progress"));
    info.history = history_from_json(p.value("history", json::array()), file);
  }
  return info;
}

void load_model_state(const std::filesystem::path& ckpt, const ir::Module& m, StateStore& state) {
  load_states(read_safetensors(ckpt), m, state, Layout{true}, &is_model_state, ckpt.string());
}

void load_training_state(const std::filesystem::path& ckpt, const ir::Module& m, StateStore& state) {
  std::filesystem::path path = training_state_path(ckpt), previous = previous_training_state_path(ckpt);
  // A save cut short leaves the model file's training state aside (see checkpoint.h).
  if (!pairs_with(path, ckpt) && pairs_with(previous, ckpt)) path = previous;
  if (!std::filesystem::exists(path))
    fail("{}: no training state beside it ({} is missing): it holds a model to load with --init or --load, "
         "not a run to resume", ckpt.string(), path.string());
  SafeTensors train = read_safetensors(path);
  auto hash = train.metadata.find(kHashKey);
  if (hash == train.metadata.end() || hash->second != content_hash(read_safetensors(ckpt)))
    fail("{}: its training state {} was written with another model file (the model file was replaced?)",
         ckpt.string(), path.string());
  load_states(train, m, state, Layout{false}, &not_model_state, path.string());
}

}  // namespace minigrad::runtime
