// embedrating._core: the module. It only wires the binding areas, one file each (the
// boost-histogram way): register_errors, register_dates, register_model, register_dataset,
// register_reviews, register_estimators, register_ratings, then the analyses (weights, calibrate,
// sensitivity, publishing). Shared helpers are in bindings.hpp and convert.cpp.
//
// Conventions: dates cross the boundary as int days since 1970-01-01 (None = missing); grades as
// int levels (unrated 0, 1A 1 … 5A 5; -1 = none); results come back as read-only numpy views
// whose base is the owning C++ object. The friendly API (pandas, dates, pickling) is Python, in
// python/embedrating/.
#include "bindings.hpp"

PYBIND11_MODULE(_core, m) {
  namespace ep = embedrating::python;
  m.doc() = "embedrating._core: the compiled part of the embedrating package (pybind11 bindings of the C++ library).";
  m.attr("version") = embedrating::version_string;
  ep::register_errors(m);  // first: every later area raises these
  ep::register_dates(m);
  ep::register_model(m);
  ep::register_dataset(m);
  ep::register_calendar(m);   // before reviews and ratings: their summaries take a HolidayCalendar
  ep::register_reviews(m);    // before the ratings: rate() takes a ReviewAggregator
  ep::register_estimators(m);
  ep::register_ratings(m);
  ep::register_weights(m);
  ep::register_calibrate(m);
  ep::register_sensitivity(m);
  ep::register_publishing(m);
}
