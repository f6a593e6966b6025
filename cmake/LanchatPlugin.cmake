# lanchat_add_plugin(<name> SOURCES <files...> [LINK_LIBRARIES <targets...>] [OUTPUT_DIRECTORY <dir>])
#
# Builds a lanchat plugin: a MODULE library named <name>.so that exports only the entry symbol. The flags
# are what make unloading real (see sdk-docs/getting-started.md):
#   -fno-gnu-unique        STB_GNU_UNIQUE symbols (inline statics in templates) pin a library forever
#   hidden visibility      only lanchat_plugin_entry is exported
#   --no-undefined         every symbol resolves at build time, not at load time inside the host
# Used by the tree's own plugins and, installed with the SDK, by plugins built out of tree.
function(lanchat_add_plugin name)
  cmake_parse_arguments(ARG "" "OUTPUT_DIRECTORY" "SOURCES;LINK_LIBRARIES" ${ARGN})
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "lanchat_add_plugin(${name}): SOURCES is required")
  endif()
  add_library(${name} MODULE ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE lanchat::plugin-api ${ARG_LINK_LIBRARIES})
  target_compile_features(${name} PRIVATE cxx_std_20)
  set_target_properties(${name} PROPERTIES
    PREFIX ""
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  target_compile_options(${name} PRIVATE $<$<COMPILE_LANG_AND_ID:CXX,GNU>:-fno-gnu-unique>)
  # Sanitizer runtimes are provided by the (instrumented) host, so --no-undefined cannot apply to them.
  if(NOT CMAKE_CXX_FLAGS MATCHES "-fsanitize")
    target_link_options(${name} PRIVATE LINKER:--no-undefined)
  endif()
  if(ARG_OUTPUT_DIRECTORY)
    set_target_properties(${name} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${ARG_OUTPUT_DIRECTORY})
  elseif(DEFINED LANCHAT_PLUGIN_OUTPUT_DIRECTORY)
    set_target_properties(${name} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${LANCHAT_PLUGIN_OUTPUT_DIRECTORY})
  endif()
endfunction()
