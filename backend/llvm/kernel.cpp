// Checks in generated kernels and the messages of their errors; see kernel.h.
#include "backend/llvm/kernel.h"

#include <bit>

#include <fmt/format.h>
#include <llvm/IR/MDBuilder.h>

#include "ir/error.h"
#include "ir/printer.h"

namespace minigrad::jit {

std::string ErrorSites::message(int64_t site, int64_t a, int64_t b) const {
  if (site < 0 || site >= static_cast<int64_t>(sites_.size())) return fmt::format("unknown error site {}", site);
  const ErrorSite& s = sites_[static_cast<size_t>(site)];
  std::string what;
  switch (s.check) {
    case Check::Label: what = fmt::format("label {} in row {} is outside [0, {})", b, a, s.classes); break;
    case Check::IntDivByZero: what = fmt::format("integer division of {} by zero", a); break;
    case Check::CastToI32: what = fmt::format("{} does not fit in i32", std::bit_cast<double>(b)); break;
    case Check::RowCount: what = fmt::format("row count {} is outside [1, {}]", a, s.classes); break;
  }
  return fmt::format("{} at {}: {}", ir::op_name(s.op), ir::to_string(s.locs), what);
}

void Kernel::fail_if(llvm::Value* bad, int64_t site, llvm::Value* a, llvm::Value* b) {
  if (!can_fail)
    fail("internal error: {} at {}: a check in a kernel made as one that cannot fail", ir::op_name(node.op),
         ir::to_string(node.locs));
  auto& bld = e.b();
  llvm::BasicBlock* failed = e.block("fail");
  llvm::BasicBlock* ok = e.block("ok");
  bld.CreateCondBr(bad, failed, ok, llvm::MDBuilder(e.ctx()).createBranchWeights(1, 1u << 20));
  bld.SetInsertPoint(failed);
  llvm::Value* fields[] = {e.idx(site), a, b};
  for (int i = 0; i < 3; ++i) bld.CreateStore(fields[i], bld.CreateConstInBoundsGEP1_64(e.i64(), err, uint64_t(i)));
  bld.CreateRet(bld.getInt32(1));
  bld.SetInsertPoint(ok);
}

llvm::Value* checked_row_count(Kernel& k, llvm::Value* ptr, int64_t rows) {
  if (ptr == nullptr) return nullptr;
  auto& b = k.e.b();
  llvm::Value* n = b.CreateSExt(k.e.load(ir::DType::I32, 1, ptr, k.e.idx(0)), k.e.i64());
  if (!k.can_fail) return n;
  int64_t site = k.sites->add(k.node, Check::RowCount, rows);
  // n - 1 as unsigned is below rows exactly when 1 <= n <= rows.
  k.fail_if(b.CreateICmpUGE(b.CreateSub(n, k.e.idx(1)), k.e.idx(rows)), site, n, k.e.idx(rows));
  return n;
}

}  // namespace minigrad::jit
