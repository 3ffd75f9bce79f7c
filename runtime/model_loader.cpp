// Loading model files; see model_loader.h.
#include "runtime/model_loader.h"

#include <dlfcn.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "ir/error.h"
#include "runtime/model_probe.h"

#ifndef MINIGRAD_SOURCE_DIR
#error "MINIGRAD_SOURCE_DIR must name the source tree (for the DSL headers)"
#endif
#ifndef MINIGRAD_CXX
#define MINIGRAD_CXX "c++"
#endif
#ifndef MINIGRAD_MODEL_FLAGS
#define MINIGRAD_MODEL_FLAGS ""  // extra flags: a sanitized build's own (CMakeLists.txt)
#endif

namespace minigrad::runtime {
namespace fs = std::filesystem;
namespace {

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) fail("{}: cannot read", p.string());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// FNV-1a: a cache key, not a security boundary.
uint64_t fnv1a(const std::string& s, uint64_t h = 1469598103934665603ull) {
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

// The DSL headers a model file can include, so a changed header invalidates the cache.
uint64_t headers_hash() {
  uint64_t h = 0;
  for (const char* dir : {"frontend", "ir"})
    for (const auto& e : fs::directory_iterator(fs::path(MINIGRAD_SOURCE_DIR) / dir))
      if (e.path().extension() == ".h" || e.path().extension() == ".def") h ^= fnv1a(read_file(e.path()), fnv1a(e.path().string()));
  return h;
}

// The compiler command of model files: MINIGRAD_MODEL_CXX when set (a command line,
// flags allowed: under qemu, the cross compiler of the target), else the compiler
// this minigrad was built with (for a cross build, its cross compiler and sysroot).
std::string model_compiler() {
  if (const char* cxx = std::getenv("MINIGRAD_MODEL_CXX"); cxx && *cxx) return cxx;
  return MINIGRAD_CXX;
}

// A shared object whose calls into minigrad (the DSL) are resolved when it is loaded,
// from the program that loads it: ELF allows that by default; on macOS the linker
// must be told (-undefined dynamic_lookup), and the file is a .dylib.
#if defined(__APPLE__)
constexpr const char* kSharedFlags = "-dynamiclib -undefined dynamic_lookup";
constexpr const char* kSharedSuffix = "dylib";
#else
constexpr const char* kSharedFlags = "-shared";
constexpr const char* kSharedSuffix = "so";
#endif

std::string compile_command(const std::string& file, const std::string& out) {
  return fmt::format("{} -std=c++20 -O1 -fPIC {} {} -I{} -o {} {} 2>&1", model_compiler(), kSharedFlags,
                     MINIGRAD_MODEL_FLAGS, MINIGRAD_SOURCE_DIR, out, file);
}

// Runs `cmd`; returns its exit status and everything it printed.
int run_command(const std::string& cmd, std::string* output) {
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) fail("cannot run the C++ compiler ({})", cmd);
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) output->append(buf.data(), n);
  return pclose(p);
}

std::string compile(const std::string& file, bool* compiled_now) {
  std::string key_text = read_file(file) + "\n" + file + "\n" + compile_command(file, "") +
                         std::to_string(headers_hash());
  fs::path dir = fs::path(cache_dir()) / "models";
  fs::create_directories(dir);
  fs::path so = dir / fmt::format("{}-{:016x}.{}", fs::path(file).stem().string(), fnv1a(key_text), kSharedSuffix);
  *compiled_now = !fs::exists(so);
  if (!*compiled_now) return so.string();
  fmt::print(stderr, "compiling model file {}\n", file);
  static std::atomic<uint64_t> writes{0};  // a name of this write alone, whatever thread or process
  fs::path tmp = so;
  tmp += fmt::format(".tmp{}.{}", ::getpid(), writes.fetch_add(1));
  std::string output;
  int status = run_command(compile_command(file, tmp.string()), &output);
  if (status != 0) {
    fs::remove(tmp);
    fail("model file {} does not compile:\n{}", file, output);
  }
  fs::rename(tmp, so);
  return so.string();
}

// The shared object's static initializers run first in a child (model_probe.h):
// one that throws, crashes or exits is an error naming the model file.
void probe_load(const std::string& so, const std::string& file) {
  ChildReport r = run_contained(file, [&](const std::function<void(const char*)>& phase) {
    phase("loading its compiled object (running its static initializers)");
    if (dlopen(so.c_str(), RTLD_NOW | RTLD_LOCAL) == nullptr) fail("{}", dlerror());
  });
  if (!r.threw.empty()) fail("model file {}: cannot load its compiled object: {}", file, r.threw);
}

ModelFn load_shared_object(const std::string& so, const std::string& file) {
  probe_load(so, file);
  ModelCodeScope scope(file);
  void* handle = dlopen(so.c_str(), RTLD_NOW | RTLD_LOCAL);  // never closed: the model's code lives as long as we do
  if (handle == nullptr) fail("model file {}: cannot load its compiled object: {}", file, dlerror());
  auto* entry = static_cast<const ModelEntry*>(dlsym(handle, "minigrad_model_entry"));
  if (entry == nullptr) fail("model file {} defines no model: write MINIGRAD_MODEL(args) {{ ... }}", file);
  if (entry->abi_version != kModelAbiVersion)
    fail("model file {} was built for model ABI {}, this minigrad has {}", file, entry->abi_version, kModelAbiVersion);
  return entry->build;
}

std::string builtin_names() {
  std::string s;
  for (const auto& [name, info] : builtin_models()) s += (s.empty() ? "" : ", ") + name;
  return s;
}

}  // namespace

std::string cache_dir() {
  if (const char* d = std::getenv("MINIGRAD_CACHE_DIR"); d && *d) return d;
  if (const char* d = std::getenv("XDG_CACHE_HOME"); d && *d) return std::string(d) + "/minigrad";
  if (const char* d = std::getenv("HOME"); d && *d) return std::string(d) + "/.cache/minigrad";
  return "/tmp/minigrad-cache";
}

ModelSource load_model(const std::string& spec) {
  auto builtin = builtin_models().find(spec);
  if (builtin != builtin_models().end()) return {spec, builtin->second.file, builtin->second.build, false};
  if (!fs::exists(spec))
    fail("model '{}': no such file, and no example of that name (examples: {})", spec, builtin_names());
  if (fs::path(spec).extension() != ".cpp") fail("model file {}: expected a .cpp file written with the DSL", spec);
  ModelSource src{fs::path(spec).stem().string(), spec, nullptr, false};
  std::string so = compile(spec, &src.compiled_now);
  src.build = load_shared_object(so, spec);
  return src;
}

}  // namespace minigrad::runtime
