include(CMakePackageConfigHelpers)
install(TARGETS embedrating EXPORT embedratingTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY include/embedrating DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES "${CMAKE_CURRENT_BINARY_DIR}/include/embedrating/version.hpp" DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/embedrating)
install(DIRECTORY data/models data/catalogue data/calendars data/examples DESTINATION ${CMAKE_INSTALL_DATADIR}/embedrating)
install(EXPORT embedratingTargets NAMESPACE embedrating:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/embedrating)
configure_package_config_file(cmake/embedratingConfig.cmake.in
  "${CMAKE_CURRENT_BINARY_DIR}/embedratingConfig.cmake"
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/embedrating)
write_basic_package_version_file("${CMAKE_CURRENT_BINARY_DIR}/embedratingConfigVersion.cmake"
  COMPATIBILITY SameMinorVersion)
install(FILES "${CMAKE_CURRENT_BINARY_DIR}/embedratingConfig.cmake" "${CMAKE_CURRENT_BINARY_DIR}/embedratingConfigVersion.cmake"
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/embedrating)
