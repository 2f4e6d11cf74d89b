// What a symbol may hold, as ingest checks it (core/record.cc) and the dashboard's API checks the
// symbols it is asked for (serve/params.cc): one rule, so both accept the same names.
#pragma once

namespace stockpipe {

// The characters of a symbol once upper-cased: A-Z 0-9 . - ^ = _ : /
bool ValidSymbolChar(char c);

}  // namespace stockpipe
