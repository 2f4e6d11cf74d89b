#include "core/clean_store.h"

namespace stockpipe {

Result<std::uint64_t> RebuildEachSymbol(
    CleanStore& store, const CandleRebuild& scope,
    const std::function<Status(const std::string& symbol, std::uint64_t& written)>& rebuild) {
  std::vector<std::string> symbols = scope.symbols;
  if (symbols.empty()) {
    auto all = store.Symbols();
    if (!all) return all.status();
    symbols = *std::move(all);
  }
  std::uint64_t written = 0;
  for (std::size_t i = 0; i < symbols.size(); ++i) {
    if (Status s = rebuild(symbols[i], written); !s.ok()) return s;
    if (scope.progress) scope.progress(i + 1, symbols.size());
  }
  return written;
}

}  // namespace stockpipe
