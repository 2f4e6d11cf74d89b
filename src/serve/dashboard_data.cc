#include "serve/dashboard_data.h"

#include <algorithm>

namespace stockpipe::serve {

Result<SymbolTotals> DashboardData::Totals() {
  auto symbols = Symbols();
  if (!symbols) return symbols.status();
  SymbolTotals totals;
  totals.symbols = symbols->size();
  for (const SymbolSummary& s : *symbols) totals.rows += s.rows;
  return totals;
}

Result<bool> DashboardData::HasSymbol(std::string_view symbol) {
  auto symbols = Symbols();
  if (!symbols) return symbols.status();
  return std::any_of(symbols->begin(), symbols->end(),
                     [&](const SymbolSummary& s) { return s.symbol == symbol; });
}

Status DashboardData::Readable() {
  auto symbols = Symbols();
  if (!symbols) return symbols.status();
  auto newest = NewestAlertId();
  if (!newest) return newest.status();
  return Status::Ok();
}

}  // namespace stockpipe::serve
