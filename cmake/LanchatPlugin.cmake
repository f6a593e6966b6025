# lanchat_add_plugin(<name> SOURCES <files...> [PROTOS <files.proto...>] [LINK_LIBRARIES <targets...>]
#                    [OUTPUT_DIRECTORY <dir>])
#
# Builds a lanchat plugin: a MODULE library named <name>.so that exports only the entry symbol. The flags
# are what make unloading real (see sdk-docs/getting-started.md):
#   -fno-gnu-unique        STB_GNU_UNIQUE symbols (inline statics in templates) pin a library forever
#   hidden visibility      only lanchat_plugin_entry is exported
#   --no-undefined         every symbol resolves at build time, not at load time inside the host
# PROTOS are the plugin's private messages: protoc generates them into the plugin itself, compiled with the
# same flags, below <build dir>/<name>_protos/ at each file's path relative to the calling CMakeLists.txt
# (greeter.proto -> #include "greeter.pb.h"); the plugin links protobuf::libprotobuf, which lanchatd loads.
# Refused at configure time, because either takes the node down or pins the plugin at reload:
#   a .proto without `option optimize_for = LITE_RUNTIME;`   full-runtime code aborts the process at reload
#   protobuf::libprotobuf-lite in LINK_LIBRARIES              a library lanchatd does not load
# Used by the tree's own plugins and, installed with the SDK, by plugins built out of tree.
function(lanchat_add_plugin name)
  cmake_parse_arguments(ARG "" "OUTPUT_DIRECTORY" "SOURCES;PROTOS;LINK_LIBRARIES" ${ARGN})
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "lanchat_add_plugin(${name}): SOURCES is required")
  endif()
  foreach(library IN LISTS ARG_LINK_LIBRARIES)
    if(library MATCHES "protobuf-lite")
      message(FATAL_ERROR "lanchat_add_plugin(${name}): LINK_LIBRARIES names ${library}, a library lanchatd "
        "does not load, so the plugin could never be unloaded; link protobuf::libprotobuf (PROTOS does), "
        "which runs LITE_RUNTIME messages too")
    endif()
  endforeach()
  add_library(${name} MODULE ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE lanchat::plugin-api ${ARG_LINK_LIBRARIES})
  _lanchat_set_plugin_flags(${name})
  if(ARG_PROTOS)
    _lanchat_add_plugin_protos(${name} ${ARG_PROTOS})
  endif()
  if(ARG_OUTPUT_DIRECTORY)
    set_target_properties(${name} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${ARG_OUTPUT_DIRECTORY})
  elseif(DEFINED LANCHAT_PLUGIN_OUTPUT_DIRECTORY)
    set_target_properties(${name} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${LANCHAT_PLUGIN_OUTPUT_DIRECTORY})
  endif()
endfunction()

# The compile and link flags of every plugin (internal: the tests build deliberately broken plugins with it).
function(_lanchat_set_plugin_flags target)
  target_compile_features(${target} PRIVATE cxx_std_20)
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  target_compile_options(${target} PRIVATE $<$<COMPILE_LANG_AND_ID:CXX,GNU>:-fno-gnu-unique>)
  # Sanitizer runtimes are provided by the (instrumented) host, so --no-undefined cannot apply to them.
  if(NOT CMAKE_CXX_FLAGS MATCHES "-fsanitize")
    target_link_options(${target} PRIVATE LINKER:--no-undefined)
  endif()
endfunction()

function(_lanchat_add_plugin_protos name)
  foreach(proto IN LISTS ARGN)
    get_filename_component(file ${proto} ABSOLUTE)
    if(NOT EXISTS ${file})
      message(FATAL_ERROR "lanchat_add_plugin(${name}): PROTOS names ${proto}, which does not exist")
    endif()
    file(READ ${file} text)
    string(REGEX REPLACE "//[^\n]*" "" text "${text}")  # a commented-out option does not count
    if(NOT text MATCHES "option[ \t\r\n]+optimize_for[ \t\r\n]*=[ \t\r\n]*LITE_RUNTIME[ \t\r\n]*;")
      message(FATAL_ERROR "lanchat_add_plugin(${name}): ${proto} has no `option optimize_for = LITE_RUNTIME;`. "
        "A plugin's own messages must use the lite runtime: code generated for the full runtime registers "
        "its descriptors in the process-wide pool, and lanchatd aborts when the plugin is loaded again at "
        "its first reload. Add the option to ${proto}.")
    endif()
  endforeach()
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${name}_protos)
  file(MAKE_DIRECTORY ${out})
  target_sources(${name} PRIVATE ${ARGN})
  protobuf_generate(TARGET ${name} LANGUAGE cpp PROTOS ${ARGN} PROTOC_OUT_DIR ${out})
  target_include_directories(${name} PRIVATE ${out})
  target_link_libraries(${name} PRIVATE protobuf::libprotobuf)
endfunction()
