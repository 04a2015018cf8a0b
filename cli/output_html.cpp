// The grade directory as an HTML page: the library's directory_page_html over this run's
// directory rows (include/embedrating/directory.hpp).
#include "output_html.hpp"

#include <embedrating/directory.hpp>
#include <embedrating/version.hpp>

namespace embedrating::cli {

std::string directory_html(const report_context& c, int valid_months) {
  const ratings& r = c.r;
  const civil_date valid_to = directory_valid_to(c.m, r.as_of, valid_months);
  std::vector<directory_entry> entries;
  for (std::size_t i = 0; i < r.size(); ++i) {
    if (r.status[i] != operator_status::active || r.final_grade[i] == grade::unrated) continue;
    entries.push_back({r.operator_ids[i], operator_name(c.d, i), attribute_or(c.d, "district", i),
                       mode_name(c.cat, attribute_or(c.d, "mode", i), c.zh), r.final_grade[i], valid_to});
  }
  const model_info& info = c.m.info();
  directory_provenance p;
  p.as_of = r.as_of;
  p.valid_to = valid_to;
  p.model_id = info.id;
  p.model_version = info.version;
  p.model_label = c.zh && !info.label_zh.empty() ? info.label_zh : info.label;
  p.model_fingerprint = c.m.fingerprint();
  p.input_hash = r.input_hash;
  p.library_version = EMBEDRATING_VERSION_STRING;
  return directory_page_html(std::move(entries), p, c.zh ? language::zh : language::en);
}

}  // namespace embedrating::cli
