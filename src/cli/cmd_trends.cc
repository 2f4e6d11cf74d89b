#include <simdjson.h>
#include <spdlog/spdlog.h>

#include <iostream>
#include <string>

#include "cli/commands.h"
#include "codec/json_write.h"
#include "core/record.h"
#include "pipeline/local_stores.h"
#include "pipeline/shutdown.h"
#include "pipeline/trends_service.h"
#include "rules/alert_text.h"
#include "rules/pct_sma_rule.h"

namespace stockpipe {
namespace {

void AppendNumberOrNull(bool present, double value, std::string& out) {
  if (present) {
    AppendShortestDouble(value, out);
  } else {
    out += "null";
  }
}

// Reads one `{"params":{...},"lang":"pl|en","symbol":"X","prices":[...]}` line.
Status ReadEvalInput(simdjson::dom::element root, PctSmaParams& params, Lang& lang,
                     std::string& symbol, std::vector<double>& prices) {
  simdjson::dom::object p;
  if (!root["params"].get_object().get(p)) {
    for (auto [key, value] : p) {
      double number = 0;
      if (value.get_double().get(number)) {
        return Status::Error(fmt::format("params.{} must be a number", key));
      }
      const auto whole = [&](int& out) -> Status {
        if (number != static_cast<double>(static_cast<int>(number))) {
          return Status::Error(fmt::format("params.{} must be a whole number", key));
        }
        out = static_cast<int>(number);
        return Status::Ok();
      };
      Status s;
      if (key == "THRESH_PCT")
        params.thresh_pct = number;
      else if (key == "EPS_PCT")
        params.eps_pct = number;
      else if (key == "LOOKBACK_POINTS")
        s = whole(params.lookback_points);
      else if (key == "SMA_WINDOW")
        s = whole(params.sma_window);
      else if (key == "MIN_POINTS")
        s = whole(params.min_points);
      else
        return Status::Error(fmt::format("unknown parameter params.{}", key));
      if (!s.ok()) return s;
    }
  }
  if (Status invalid = params.validate(); !invalid.ok()) return invalid;
  std::string_view lang_text = "pl";
  if (auto l = root["lang"]; !l.error() && l.get_string().get(lang_text)) {
    return Status::Error("lang must be a string");
  }
  if (!ParseLang(lang_text, lang)) return Status::Error("lang must be pl or en");
  std::string_view sym = "SYMBOL";
  if (auto s = root["symbol"]; !s.error() && s.get_string().get(sym)) {
    return Status::Error("symbol must be a string");
  }
  symbol = std::string(sym);
  simdjson::dom::array array;
  if (root["prices"].get_array().get(array)) return Status::Error("prices must be an array");
  for (auto v : array) {
    double price = 0;
    if (v.get_double().get(price)) return Status::Error("prices must hold only numbers");
    prices.push_back(price);
  }
  return Status::Ok();
}

}  // namespace

int RunTrendsEval() {
  simdjson::dom::parser parser;
  std::string line;
  int errors = 0;
  std::size_t line_number = 0;
  while (std::getline(std::cin, line)) {
    ++line_number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    PctSmaParams params;
    Lang lang = Lang::kPl;
    std::string symbol;
    std::vector<double> prices;
    simdjson::dom::element root;
    Status status;
    if (auto error = parser.parse(line).get(root)) {
      status = Status::Error(fmt::format("not valid JSON: {}", simdjson::error_message(error)));
    } else {
      status = ReadEvalInput(root, params, lang, symbol, prices);
    }
    std::string out;
    if (!status.ok()) {
      ++errors;
      out = R"({"error":)";
      AppendJsonString(fmt::format("line {}: {}", line_number, status.message()), out);
      out += "}";
      std::cout << out << "\n";
      continue;
    }
    const Evaluation e = EvaluatePctSma(prices, params);
    out = R"({"action":)";
    out += e.action ? fmt::format("\"{}\"", ActionName(*e.action)) : "null";
    out += R"(,"reason":)";
    out += e.action ? "null" : fmt::format("\"{}\"", NoSignalCode(e.reason));
    const bool numbers = e.has_numbers;
    out += R"(,"delta_pct":)";
    AppendNumberOrNull(numbers, e.delta_pct, out);
    out += R"(,"sma":)";
    AppendNumberOrNull(numbers, e.sma, out);
    out += R"(,"dev_pct":)";
    AppendNumberOrNull(numbers, e.dev_pct, out);
    out += R"(,"last":)";
    AppendNumberOrNull(numbers, e.last, out);
    if (e.action) {
      const rules::PctSmaRule rule(params);
      const Alert alert{symbol, &rule, rules::PctSmaRule::DecisionOf(e)};
      out += R"(,"subject":)";
      AppendJsonString(AlertSubject(std::span(&alert, 1), lang), out);
      out += R"(,"body":)";
      AppendJsonString(AlertBody(alert, lang), out);
    } else {
      out += R"(,"subject":null,"body":null)";
    }
    out += "}";
    std::cout << out << "\n";
  }
  return errors == 0 ? 0 : 1;
}

int RunTrends(const Config& config, bool once) {
  TrendsServiceOptions options;
  options.once = once;
  auto service = TrendsService::Open(config, options);
  if (!service) {
    spdlog::error("{}", service.error());
    return 1;
  }
  (*service)->Run(StopRequested);  // nothing stops it but Ctrl-C: failures are retried
  return (*service)->last_run_ok() ? 0 : 1;
}

}  // namespace stockpipe
