#pragma once
/// \file directory.hpp
/// The published grade directory (等级评定目录, Art. 7 and Art. 17 of the Wuhan measures): how long
/// a published grade is valid, and the directory as one self-contained, printable HTML page.
/// The CLI (`rate --format html`, `--directory FILE.html`) and Python
/// (`Ratings.directory().to_html()`) both publish through these two functions.
#include <string>
#include <string_view>
#include <vector>

#include <embedrating/date.hpp>
#include <embedrating/model.hpp>
#include <embedrating/ratings.hpp>  // language

namespace embedrating {

/// The last day a grade published at `as_of` is valid: as_of + `valid_months` months − 1 day,
/// never past the model's effective_to. Throws std::invalid_argument when valid_months < 1.
civil_date directory_valid_to(const model& m, civil_date as_of, int valid_months);

/// One graded operator of the directory (texts as published: `mode` is the display name).
struct directory_entry {
  std::string operator_id, name, district, mode;
  grade final_grade = grade::unrated;  ///< 1A … 5A (an unrated entry is refused)
  civil_date valid_to;
};

/// What the page says about where its grades come from.
struct directory_provenance {
  civil_date as_of, valid_to;
  std::string model_id, model_version, model_label;  ///< the label in the page's language ("" for none)
  std::string model_fingerprint, input_hash;
  std::string library_version;  ///< of the library that rated
};

/// The directory page: title and legal basis, provenance (evaluation date, validity, model id,
/// version, label and fingerprint, input hash), grades by district and by operating mode, and
/// every entry — 5A first, then by district and operator id — with an A4 print stylesheet. UTF-8;
/// every text is HTML-escaped. Throws std::invalid_argument naming the operator of an unrated entry.
std::string directory_page_html(std::vector<directory_entry> entries, const directory_provenance& provenance, language lang);

/// `text` with & < > " ' escaped for HTML.
std::string html_escape(std::string_view text);

}  // namespace embedrating
