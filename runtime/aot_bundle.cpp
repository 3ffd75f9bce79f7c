// Writing an ahead-of-time library's files; see aot_bundle.h.
#include "runtime/aot_bundle.h"

#include <cctype>
#include <cstdio>
#include <cstring>

#include <fmt/format.h>

#include "frontend/tracer.h"
#include "ir/error.h"
#include "runtime/atomic_file.h"

namespace minigrad::runtime {
namespace {

#if defined(__APPLE__)
constexpr const char* kSharedSuffix = ".dylib";
#else
constexpr const char* kSharedSuffix = ".so";
#endif

// The model's name as a C identifier: other characters become '_'.
std::string c_identifier(const std::string& text) {
  std::string id;
  for (char c : text) id += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  if (id.empty() || std::isdigit(static_cast<unsigned char>(id[0]))) id = "m_" + id;
  return id;
}

void check_name(const std::string& name) {
  bool ok = !name.empty() && (std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_');
  for (char c : name) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_');
  if (!ok) fail("compile --name {}: the name prefixes C symbols, so it must be a C identifier ([A-Za-z_][A-Za-z0-9_]*)", name);
}

void write_file(const std::filesystem::path& path, const std::string& bytes, std::vector<std::filesystem::path>& files) {
  AtomicFile file(path);
  file.write(bytes);
  file.commit();
  files.push_back(path);
}

template <typename T>
void put(std::string& out, T v) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &v, sizeof(T));
  out.append(bytes, sizeof(T));
}

void put_all(std::string& out, const std::vector<double>& v) {
  for (double d : v) put(out, d);
}

// Shell quoting: 'text' with each ' as '\''.
std::string quoted(const std::string& text) {
  std::string q = "'";
  for (char c : text) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// --shared: the object linked into a shared library by the system C compiler (cc),
// which can link only this machine's objects.
void link_shared(const AotBundleOptions& o, const std::string& name, std::vector<std::filesystem::path>& files) {
  if (!o.target.is_host())
    fail("compile --shared: the system C compiler links libraries for this machine only; link {}.o with the "
         "target's toolchain instead (or leave out --target)",
         name);
  std::filesystem::path lib = o.out_dir / ("lib" + name + kSharedSuffix);
  // Linked beside the file the path resolves to, then renamed onto it (atomic_file.h).
  std::filesystem::path target = resolve_output_path(lib, "compile --shared");
  std::string tmp = target.string() + fmt::format(".tmp.{}", ::getpid());
  std::string cmd = fmt::format("cc -shared -o {} {} -lm 2>&1", quoted(std::as_const(tmp)),
                                quoted((o.out_dir / (name + ".o")).string()));
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) fail("compile --shared: cannot run the system C compiler ({})", cmd);
  std::string output;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) output.append(buf, n);
  std::error_code ec;
  if (::pclose(p) != 0) std::filesystem::remove(tmp, ec), fail("compile --shared: `{}` failed: {}", cmd, output);
  std::filesystem::rename(tmp, target, ec);
  if (ec) fail("compile --shared: {}: cannot write: {}", lib.string(), ec.message());
  files.push_back(lib);
}

// Every file compile writes, checked before any work (atomic_file.h).
void check_outputs(const AotBundleOptions& o, const std::string& n, bool prep) {
  std::vector<std::string> names{n + ".o", "lib" + n + ".a", n + ".h"};
  if (prep) names.push_back(n + ".prep");
  if (o.shared) names.push_back("lib" + n + (kSharedSuffix));
  for (const std::string& file : names) check_output_path(o.out_dir / file, "compile -o");
}

}  // namespace

std::string aot_preprocessing_file(const FittedPreprocessing& p) {
  std::string out("MGPREP1\n", 8);
  put<int64_t>(out, p.in_features);
  put<int64_t>(out, p.out_features());
  put<int64_t>(out, p.config.pca);
  put<int64_t>(out, static_cast<int64_t>(p.scale.kind));
  if (p.config.pca > 0) put_all(out, p.pca.mean), put_all(out, p.pca.components);
  if (p.scale.kind != Scale::None) put_all(out, p.scale.offset), put_all(out, p.scale.divisor);
  return out;
}

AotBundle write_aot_bundle(const RunConfig& c, int64_t features, int64_t classes,
                           const std::optional<FittedPreprocessing>& prep, const AotBundleOptions& o) {
  if (c.batch < 1) fail("batch size must be >= 1, got {}", c.batch);
  ModelSource src = load_model(c.model);
  AotBundle bundle;
  bundle.name = o.name.empty() ? c_identifier(src.name) : o.name;
  check_name(bundle.name);
  check_outputs(o, bundle.name, prep.has_value());
  probe_model(c, src, features, classes, c.batch);
  ModelParts parts = build_model(c, src, features, classes);
  TraceSpec spec{src.name, c.batch, features, classes, false};
  spec.masked_rows = true;  // one step serves 1..batch rows (docs/ir.md, "Partial batches")
  ir::Module m = trace(*parts.net, *parts.loss, *parts.optimizer, spec);
  passes::run_pipeline(m, c.pipeline);
  bundle.library = aot_compile(m, AotOptions{bundle.name, o.target, true});
  std::error_code ec;
  std::filesystem::create_directories(o.out_dir, ec);
  if (ec) fail("compile -o {}: cannot create the directory: {}", o.out_dir.string(), ec.message());
  const std::string& n = bundle.name;
  write_file(o.out_dir / (n + ".o"), bundle.library.object, bundle.files);
  write_file(o.out_dir / ("lib" + n + ".a"), bundle.library.archive, bundle.files);
  write_file(o.out_dir / (n + ".h"), aot_header(n, c, bundle.library, prep), bundle.files);
  if (prep) write_file(o.out_dir / (n + ".prep"), aot_preprocessing_file(*prep), bundle.files);
  if (o.shared) link_shared(o, n, bundle.files);
  return bundle;
}

}  // namespace minigrad::runtime
