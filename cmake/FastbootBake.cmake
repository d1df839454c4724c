# fastboot_bake(<target> [COMPRESS [lz4|zstd]] [RANDOMIZE | ADDRESS_STABLE] [DEPENDS <file>...]
#               [WORKING_DIRECTORY <dir>])
#
# Makes <target>'s output the baked executable: its link runs through `fastboot-bake link`,
# which links, runs the roots' initializers in two baking processes, and links again with the
# image in a .fastboot section. Relinking rebakes; so does a change to a DEPENDS file, or to any
# file the initializers opened in the last bake (the bake audit records them). The initializers
# run in WORKING_DIRECTORY (default: the target's binary directory). A failed bake fails the
# build and leaves no executable behind.
#
# COMPRESS stores the image compressed: a smaller executable, and a start that decompresses the
# whole arena (on every core) instead of mapping it; lz4 (the default) starts about four times
# faster than zstd, zstd makes the smaller executable. RANDOMIZE maps the image at a random base
# chosen once per boot and user instead of the bake's fixed one: the first process relocates it
# and leaves the relocated copy in $XDG_RUNTIME_DIR for later ones (docs/design.md).
# ADDRESS_STABLE bakes roots that hold tables hashed or ordered by their objects' addresses
# (unordered_map<T*, ...>, LLVM's DenseMaps, protobuf's descriptor tables): the bake keeps every
# object at the address it was built at, and the program uses the image only at its preferred
# base; where that base is taken, or FASTBOOT_RANDOMIZE asks for another, it runs its
# initializers (docs/design.md#tables-keyed-by-address).
#
# A cross build (a toolchain file for another machine, docs/cross.md) bakes with the build machine's
# fastboot-bake, which runs the program under CMAKE_CROSSCOMPILING_EMULATOR.
#
# Works with any generator (Ninja, Unix Makefiles, Ninja Multi-Config: the configurations of a
# multi-config build share the depfile) and any linker the compiler driver runs (-fuse-ld=bfd,
# gold, lld or mold). A link that must name every section (--orphan-handling=error) can add
# LINKER:-T,${FASTBOOT_LINKER_SCRIPT}, which places the section for GNU ld and lld.
function(fastboot_bake target)
  cmake_parse_arguments(PARSE_ARGV 1 arg "RANDOMIZE;ADDRESS_STABLE" "COMPRESS;WORKING_DIRECTORY" "DEPENDS")
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "fastboot_bake(${target}): unknown arguments: ${arg_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT TARGET ${target})
    message(FATAL_ERROR "fastboot_bake(${target}): no such target")
  endif()
  get_target_property(type ${target} TYPE)
  if(NOT type STREQUAL "EXECUTABLE")
    message(FATAL_ERROR "fastboot_bake(${target}): only executables can be baked, this is a ${type}")
  endif()

  set(workdir "${CMAKE_CURRENT_BINARY_DIR}")
  if(arg_WORKING_DIRECTORY)
    get_filename_component(workdir "${arg_WORKING_DIRECTORY}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_BINARY_DIR}")
  endif()
  set(depends "")
  foreach(file IN LISTS arg_DEPENDS)
    get_filename_component(file "${file}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    list(APPEND depends "${file}")
  endforeach()

  # The bake audit's depfile: the files the initializers read in the last bake. The baker
  # rewrites it only when that list changes, which makes CMake re-read it here.
  set(depfile "${CMAKE_CURRENT_BINARY_DIR}/${target}.fastboot.d")
  if(EXISTS "${depfile}")
    file(READ "${depfile}" audited)
    string(REGEX REPLACE "^[^:]*:[ ]*" "" audited "${audited}")
    string(REGEX REPLACE "\\\\ " "<space>" audited "${audited}")
    string(STRIP "${audited}" audited)
    string(REGEX REPLACE "[ ]+" ";" audited "${audited}")
    list(TRANSFORM audited REPLACE "<space>" " ")
    list(APPEND depends ${audited})
  else()
    file(WRITE "${depfile}" "")
  endif()
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${depfile}")

  # Appended to the link like target_link_libraries(PRIVATE) would, without taking a side:
  # the target's own calls may use the plain signature or the keyword one.
  set_property(TARGET ${target} APPEND PROPERTY LINK_LIBRARIES fastboot::runtime)
  set(options "")
  if(arg_COMPRESS)
    if(NOT arg_COMPRESS MATCHES "^(lz4|zstd)$")
      message(FATAL_ERROR "fastboot_bake(${target}): COMPRESS takes lz4 or zstd, not '${arg_COMPRESS}'")
    endif()
    list(APPEND options --compress=${arg_COMPRESS})
  elseif("COMPRESS" IN_LIST arg_KEYWORDS_MISSING_VALUES)
    list(APPEND options --compress)
  endif()
  if(arg_RANDOMIZE AND arg_ADDRESS_STABLE)
    message(FATAL_ERROR "fastboot_bake(${target}): RANDOMIZE and ADDRESS_STABLE exclude each other: an image "
                        "holding tables keyed by address is usable only at the base it was baked at")
  endif()
  if(arg_RANDOMIZE)
    list(APPEND options --randomize-base)
  endif()
  if(arg_ADDRESS_STABLE)
    list(APPEND options --address-stable)
  endif()
  # A cross build runs its baking processes under the emulator CMake runs its tests under.
  get_target_property(emulator ${target} CROSSCOMPILING_EMULATOR)
  if(CMAKE_CROSSCOMPILING AND NOT emulator)
    message(FATAL_ERROR "fastboot_bake(${target}): a cross build bakes by running the program on this machine, "
                        "under an emulator, which CMAKE_CROSSCOMPILING_EMULATOR names (for aarch64 on Debian, "
                        "qemu-user-static and the arm64 libraries: qemu-aarch64-static, as in "
                        "cmake/toolchains/aarch64-linux-gnu.cmake of fastboot's sources)")
  endif()
  if(CMAKE_CROSSCOMPILING)
    foreach(word IN LISTS emulator)
      list(APPEND options --emulator "${word}")
    endforeach()
  endif()
  set(launcher "${FASTBOOT_BAKE_EXECUTABLE}" link --working-directory "${workdir}" --depfile "${depfile}" ${options} --)
  set_target_properties(${target} PROPERTIES
    C_LINKER_LAUNCHER "${launcher}"
    CXX_LINKER_LAUNCHER "${launcher}")
  # The image belongs to one build of the program, identified by its GNU build-id. Its section
  # needs no linker script: GNU ld, gold, lld and mold all place it after the loadable content.
  target_link_options(${target} PRIVATE "LINKER:--build-id=sha1")
  set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS ${depends} "${FASTBOOT_BAKE_EXECUTABLE}")
  if(TARGET fastboot_bake)  # this build tree: build the baker and the -static runtime first
    add_dependencies(${target} fastboot_bake fastboot_runtime_wrapped)
  endif()
endfunction()
