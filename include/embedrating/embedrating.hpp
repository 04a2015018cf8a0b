#pragma once
/// \file embedrating.hpp
/// Umbrella header: everything a C++ user of embedrating needs.
#include "catalogue.hpp"
#include "condition.hpp"
#include "dataset.hpp"
#include "date.hpp"
#include "errors.hpp"
#include "grade.hpp"
#include "history.hpp"
#include "io.hpp"
#include "model.hpp"
#include "rate.hpp"
#include "ratings.hpp"
#include "rules.hpp"
#include "scoring.hpp"
#include <embedrating/version.hpp>
