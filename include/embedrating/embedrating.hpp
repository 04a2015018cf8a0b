#pragma once
/// \file embedrating.hpp
/// Umbrella header: everything a C++ user of embedrating needs. The review estimators
/// (estimators.hpp: Wilson, Jeffreys, Bayesian average, empirical-Bayes Beta prior) are included
/// separately because they pull in Boost.Math.
#include "calendar.hpp"
#include "catalogue.hpp"
#include "condition.hpp"
#include "dataset.hpp"
#include "directory.hpp"
#include "date.hpp"
#include "errors.hpp"
#include "grade.hpp"
#include "history.hpp"
#include "io.hpp"
#include "messages.hpp"
#include "model.hpp"
#include "rate.hpp"
#include "ratings.hpp"
#include "reviews.hpp"
#include "rules.hpp"
#include "scored.hpp"
#include "scoring.hpp"
#include "sensitivity.hpp"
#include "shared_column.hpp"
#include "weights.hpp"
#include <embedrating/version.hpp>
