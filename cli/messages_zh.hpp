#pragma once
/// \file messages_zh.hpp
/// Problem messages in Chinese for `validate --lang zh`: the location (文件、行、列、字段、运营商) and
/// the common messages of the readers translated; a message without a translation keeps its
/// English text after the Chinese location, so nothing is lost.
#include <string>

#include <embedrating/errors.hpp>

namespace embedrating::cli {

std::string problem_zh(const error& e);
/// The message part alone (used for problems that are not `error` objects).
std::string message_zh(const std::string& message);

}  // namespace embedrating::cli
