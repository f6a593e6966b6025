# cmake --install: lanchatd with its plugins (component runtime), and the SDK for out-of-tree plugins
# (component dev) — the ABI header, the C++ SDK headers, the contract library and a CMake package:
# find_package(lanchat-plugin-api) + lanchat_add_plugin(...). cmake/Packaging.cmake makes a package of each.
include(CMakePackageConfigHelpers)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/plugin-api/include/lanchat DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  COMPONENT dev)
install(TARGETS lanchat_plugin_api lanchat_contracts EXPORT lanchat-plugin-api-targets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT runtime NAMELINK_COMPONENT dev)
install(DIRECTORY DESTINATION ${LANCHAT_PLUGIN_INSTALL_DIR})

set(LANCHAT_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/lanchat-plugin-api)
install(EXPORT lanchat-plugin-api-targets NAMESPACE lanchat:: DESTINATION ${LANCHAT_CMAKE_DIR} COMPONENT dev)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/lanchat-plugin-api-config.cmake.in
  ${CMAKE_BINARY_DIR}/lanchat-plugin-api-config.cmake INSTALL_DESTINATION ${LANCHAT_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_BINARY_DIR}/lanchat-plugin-api-config-version.cmake
  COMPATIBILITY SameMajorVersion)
install(FILES
  ${CMAKE_BINARY_DIR}/lanchat-plugin-api-config.cmake
  ${CMAKE_BINARY_DIR}/lanchat-plugin-api-config-version.cmake
  ${PROJECT_SOURCE_DIR}/cmake/LanchatPlugin.cmake
  DESTINATION ${LANCHAT_CMAKE_DIR} COMPONENT dev)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/sdk-docs/ DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/lanchat-dev/sdk-docs
  COMPONENT dev)
