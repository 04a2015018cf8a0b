#pragma once
/// \file output_html.hpp
/// The published grade directory (等级评定目录, Art. 7) as one self-contained HTML page
/// (`rate --format html`, or `--directory FILE.html`): this run's graded operators handed to the
/// library's page (include/embedrating/directory.hpp), which Python's
/// `Ratings.directory().to_html()` renders too.
#include <string>

#include "report_sheets.hpp"

namespace embedrating::cli {

std::string directory_html(const report_context& c, int valid_months);

}  // namespace embedrating::cli
