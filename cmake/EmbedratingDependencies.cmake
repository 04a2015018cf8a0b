# Dependencies come from Debian's packages (Debian 12 and 13 both work).
find_package(Eigen3 3.3 REQUIRED NO_MODULE)
# Boost is found in CONFIG mode (BoostConfig.cmake ships with Boost >= 1.70; CMake >= 3.30 has no FindBoost).
find_package(Boost 1.74 REQUIRED CONFIG COMPONENTS serialization)
find_package(OpenSSL 1.1 REQUIRED COMPONENTS Crypto)

# toml++ is private to the compiled library and used header-only (Debian 12 also ships a shared
# build whose CMake package differs between releases; the header is the stable part).
if(NOT TARGET embedrating_tomlplusplus)
  find_path(EMBEDRATING_TOMLPP_INCLUDE NAMES toml++/toml.h toml++/toml.hpp REQUIRED)
  add_library(embedrating_tomlplusplus INTERFACE)
  target_include_directories(embedrating_tomlplusplus SYSTEM INTERFACE ${EMBEDRATING_TOMLPP_INCLUDE})
  target_compile_definitions(embedrating_tomlplusplus INTERFACE TOML_HEADER_ONLY=1 TOML_EXCEPTIONS=1)
endif()
