# cpack: two Debian packages from the install rules, for operators (apt install ./lanchat_*.deb):
#   lanchat      (component runtime) lanchatd, the plugins, the contract library, lanchatctl, lanchat, the
#                systemd unit lanchatd@.service, the lanchat system user, /etc/lanchat/main.toml
#   lanchat-dev  (component dev) the SDK: headers, the CMake package, the .proto files, sdk-docs
# The files only a package has (absolute destinations) are EXCLUDE_FROM_ALL, so `cmake --install --prefix`
# never writes outside its prefix.
set(LANCHAT_DEB_RELEASE 1)
set(LANCHAT_DEB_VERSION ${PROJECT_VERSION}-${LANCHAT_DEB_RELEASE})
set(LANCHAT_PACKAGING_DIR ${PROJECT_SOURCE_DIR}/packaging)

# The changelog's newest entry must be the version being packaged (lintian and apt read it).
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${LANCHAT_PACKAGING_DIR}/changelog)
file(STRINGS ${LANCHAT_PACKAGING_DIR}/changelog changelog_head LIMIT_COUNT 1)
if(NOT changelog_head MATCHES "^lanchat \\(${LANCHAT_DEB_VERSION}\\) ")
  message(FATAL_ERROR "packaging/changelog begins with '${changelog_head}', but the package version is "
    "${LANCHAT_DEB_VERSION} (project version ${PROJECT_VERSION}, LANCHAT_DEB_RELEASE ${LANCHAT_DEB_RELEASE}): "
    "add an entry for ${LANCHAT_DEB_VERSION} at the top of packaging/changelog")
endif()

# Each package's /usr/share/doc/<package>: the copyright and the changelog, compressed as Debian expects.
set(changelog_gz ${CMAKE_BINARY_DIR}/packaging/changelog.Debian.gz)
file(MAKE_DIRECTORY ${CMAKE_BINARY_DIR}/packaging)
execute_process(COMMAND gzip -9 --no-name --stdout INPUT_FILE ${LANCHAT_PACKAGING_DIR}/changelog
  OUTPUT_FILE ${changelog_gz} COMMAND_ERROR_IS_FATAL ANY)
install(FILES ${LANCHAT_PACKAGING_DIR}/copyright ${changelog_gz}
  DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/lanchat COMPONENT runtime EXCLUDE_FROM_ALL)
install(FILES ${LANCHAT_PACKAGING_DIR}/copyright ${changelog_gz}
  DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/lanchat-dev COMPONENT dev EXCLUDE_FROM_ALL)

# The node as a service: one unit instance per node file, its own user, an example node.
install(FILES ${LANCHAT_PACKAGING_DIR}/lanchatd@.service DESTINATION /lib/systemd/system
  COMPONENT runtime EXCLUDE_FROM_ALL)
install(FILES ${LANCHAT_PACKAGING_DIR}/lanchat.sysusers DESTINATION /usr/lib/sysusers.d
  RENAME lanchat.conf COMPONENT runtime EXCLUDE_FROM_ALL)
install(FILES ${LANCHAT_PACKAGING_DIR}/main.toml DESTINATION /etc/lanchat COMPONENT runtime EXCLUDE_FROM_ALL)
file(WRITE ${CMAKE_BINARY_DIR}/packaging/conffiles "/etc/lanchat/main.toml\n")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME lanchat)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_PACKAGE_DIRECTORY ${CMAKE_BINARY_DIR}/packages)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL runtime dev)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE ${LANCHAT_DEB_RELEASE})
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "Seed 5323505a maintainers <maintainers@users.noreply.r-seed-5323505a.example>")
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# The shlibs file of the package that ships liblanchat_contracts.so.0 (the only shared library in either).
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)

set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME lanchat)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SECTION net)
set(CPACK_COMPONENT_RUNTIME_DESCRIPTION "chat server for a local network, built as a plugin host
lanchatd runs a chat node from one TOML file: it loads service plugins (users,
logins, channels, message routing, presence, an audit chain, discovery and the
client gateway with its web client) through a stable C ABI, serves them over
mutual TLS and hot-reloads them. Nodes form a cluster through etcd and share
PostgreSQL, or run alone on SQLite.
This package has lanchatd with its plugins, lanchatctl (the PKI, users,
status and reloads), the terminal client lanchat, and lanchatd@.service: one
node per /etc/lanchat/NAME.toml, run as the lanchat user.")
# The libraries come from dpkg-shlibdeps; the user from systemd-sysusers.
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_DEPENDS "systemd | systemd-sysusers")
set(CPACK_DEBIAN_RUNTIME_PACKAGE_CONTROL_EXTRA
  ${LANCHAT_PACKAGING_DIR}/maintainer/postinst
  ${LANCHAT_PACKAGING_DIR}/maintainer/prerm
  ${LANCHAT_PACKAGING_DIR}/maintainer/postrm
  ${LANCHAT_PACKAGING_DIR}/maintainer/triggers
  ${CMAKE_BINARY_DIR}/packaging/conffiles)

set(CPACK_DEBIAN_DEV_PACKAGE_NAME lanchat-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_COMPONENT_DEV_DESCRIPTION "plugin SDK for the lanchat chat server
The C ABI header and the header-only C++ SDK that lanchat plugins are written
against, the generated wire contracts, and a CMake package:
find_package(lanchat-plugin-api) and lanchat_add_plugin(NAME SOURCES ...)
build a plugin that lanchatd loads. With the author's guide, the ABI
reference, the client protocol and two example plugins.")
# A plugin runs in lanchatd and links its contract library; the CMake package finds Protobuf (headers and
# protoc, for a plugin's own .proto files).
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS
  "lanchat (= ${LANCHAT_DEB_VERSION}), libprotobuf-dev, protobuf-compiler, cmake (>= 3.25)")

include(CPack)
