#pragma once
/// \file output_html.hpp
/// The published grade directory (等级评定目录, Art. 7) as one self-contained HTML page
/// (`rate --format html`, or `--directory FILE.html`): provenance (model id, version and
/// fingerprint, input hash, evaluation date, validity), grades by district and operating mode,
/// and every graded operator with its grade and validity; a print stylesheet for A4.
#include <string>

#include "report_sheets.hpp"

namespace embedrating::cli {

std::string directory_html(const report_context& c, int valid_months);

/// `text` with & < > " ' escaped for HTML.
std::string html_escape(const std::string& text);

}  // namespace embedrating::cli
