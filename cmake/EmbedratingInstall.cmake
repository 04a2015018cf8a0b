# `cmake --install`: headers (with the generated version.hpp), the library, the data the library
# reads (models, catalogue, calendars, examples, the sample) and a relocatable CMake package, so
# `find_package(embedrating CONFIG REQUIRED)` gives `embedrating::embedrating` with its
# dependencies found. The CLI (cli/CMakeLists.txt) installs itself. Checked by
# scripts/test-consumers.sh.
include(CMakePackageConfigHelpers)

set(EMBEDRATING_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/embedrating")
set(EMBEDRATING_INSTALL_DATADIR "${CMAKE_INSTALL_DATADIR}/embedrating")

# The include directory comes from the target's $<INSTALL_INTERFACE:...>; toml++ is wrapped in
# $<BUILD_INTERFACE:...> and OpenSSL::Crypto is private, so neither the toml++ target nor a
# build-tree path reaches the exported link interface (a static library carries
# $<LINK_ONLY:OpenSSL::Crypto>, found by the package config).
install(TARGETS embedrating EXPORT embedratingTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# The public headers; include/embedrating/detail/ is for src/, tests and benchmarks only (no
# public header includes it: the find_package consumer compiles the umbrella header against
# the installed tree).
install(DIRECTORY include/embedrating DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  PATTERN "detail" EXCLUDE)
install(FILES "${CMAKE_CURRENT_BINARY_DIR}/include/embedrating/version.hpp"
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/embedrating)

install(DIRECTORY data/models data/catalogue data/calendars data/examples
  DESTINATION ${EMBEDRATING_INSTALL_DATADIR})
# The synthetic sample ships without its generator (the generator stays in the source tree).
if(IS_DIRECTORY "${CMAKE_CURRENT_SOURCE_DIR}/data/sample")
  install(DIRECTORY data/sample DESTINATION ${EMBEDRATING_INSTALL_DATADIR}
    PATTERN "*.py" EXCLUDE
    PATTERN "*.sh" EXCLUDE
    PATTERN "__pycache__" EXCLUDE)
endif()

install(EXPORT embedratingTargets NAMESPACE embedrating:: DESTINATION ${EMBEDRATING_INSTALL_CMAKEDIR})
configure_package_config_file(cmake/embedratingConfig.cmake.in
  "${CMAKE_CURRENT_BINARY_DIR}/embedratingConfig.cmake"
  INSTALL_DESTINATION ${EMBEDRATING_INSTALL_CMAKEDIR}
  PATH_VARS EMBEDRATING_INSTALL_DATADIR)
# 0.x: the minor version is the ABI (SOVERSION major.minor).
write_basic_package_version_file("${CMAKE_CURRENT_BINARY_DIR}/embedratingConfigVersion.cmake"
  COMPATIBILITY SameMinorVersion)
install(FILES "${CMAKE_CURRENT_BINARY_DIR}/embedratingConfig.cmake"
  "${CMAKE_CURRENT_BINARY_DIR}/embedratingConfigVersion.cmake"
  DESTINATION ${EMBEDRATING_INSTALL_CMAKEDIR})
