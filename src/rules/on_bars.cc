#include "rules/on_bars.h"

#include <fmt/format.h>

namespace stockpipe::rules {

std::string OnBars::Describe() const {
  return fmt::format("{} on={}", rule_->Describe(), interval_.name);
}

AlertLines OnBars::AlertText(const Decision& decision, Lang lang) const {
  AlertLines lines = rule_->AlertText(decision, lang);
  lines.params += fmt::format(", on={}", interval_.name);
  return lines;
}

}  // namespace stockpipe::rules
