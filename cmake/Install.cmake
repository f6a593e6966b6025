# cmake --install: lanchatd, and the SDK for out-of-tree plugins — the ABI header, the C++ SDK headers,
# the contract library and a CMake package: find_package(lanchat-plugin-api) + lanchat_add_plugin(...).
include(CMakePackageConfigHelpers)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/plugin-api/include/lanchat DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS lanchat_plugin_api lanchat_contracts EXPORT lanchat-plugin-api-targets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY DESTINATION ${LANCHAT_PLUGIN_INSTALL_DIR})

set(LANCHAT_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/lanchat-plugin-api)
install(EXPORT lanchat-plugin-api-targets NAMESPACE lanchat:: DESTINATION ${LANCHAT_CMAKE_DIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/lanchat-plugin-api-config.cmake.in
  ${CMAKE_BINARY_DIR}/lanchat-plugin-api-config.cmake INSTALL_DESTINATION ${LANCHAT_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_BINARY_DIR}/lanchat-plugin-api-config-version.cmake
  COMPATIBILITY SameMajorVersion)
install(FILES
  ${CMAKE_BINARY_DIR}/lanchat-plugin-api-config.cmake
  ${CMAKE_BINARY_DIR}/lanchat-plugin-api-config-version.cmake
  ${PROJECT_SOURCE_DIR}/cmake/LanchatPlugin.cmake
  DESTINATION ${LANCHAT_CMAKE_DIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/sdk-docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/sdk-docs)
