# differential_program(<name> <source>): a program generate.py wrote (or a minimized one kept in
# regressions/), built unbaked, baked with fastboot_bake, baked COMPRESS, and with frozen roots,
# with the test
# differential.<name>: check.sh runs them in every mode the runtime has and compares each one's
# digest lines with the unbaked program's. A program with a planted part ("// planted:" in its
# header) is built unbaked only, and its test expects the bake to fail with the planted cause.
# Shared by the suite (tests/differential) and bench/fuzz-differential's projects.
set(FASTBOOT_DIFFERENTIAL_DIR ${CMAKE_CURRENT_LIST_DIR})
find_package(Threads REQUIRED)
find_package(TBB CONFIG QUIET)

function(differential_program name source)
  file(STRINGS ${source} planted REGEX "^// planted: ")
  set(code differential_${name}_code)
  add_library(${code} OBJECT ${source})
  target_include_directories(${code} PUBLIC ${FASTBOOT_DIFFERENTIAL_DIR} ${FASTBOOT_DIFFERENTIAL_DIR}/../e2e)
  set(libraries fastboot::runtime Threads::Threads)
  if(TBB_FOUND)
    list(APPEND libraries TBB::tbb)
  endif()
  target_link_libraries(${code} PUBLIC ${libraries})
  add_executable(differential_${name}_unbaked)
  target_link_libraries(differential_${name}_unbaked PRIVATE ${code})
  target_link_options(differential_${name}_unbaked PRIVATE "LINKER:--build-id=sha1")
  set(check ${FASTBOOT_DIFFERENTIAL_DIR}/check.sh)
  if(planted)
    add_test(NAME differential.${name}
      COMMAND ${check} --planted ${FASTBOOT_BAKE_EXECUTABLE} $<TARGET_FILE:differential_${name}_unbaked> ${source})
    return()
  endif()
  add_executable(differential_${name})
  target_link_libraries(differential_${name} PRIVATE ${code})
  fastboot_bake(differential_${name})
  add_executable(differential_${name}_lz4)
  target_link_libraries(differential_${name}_lz4 PRIVATE ${code})
  fastboot_bake(differential_${name}_lz4 COMPRESS)
  # The same program with frozen roots, made by the freezer on its first run.
  add_executable(differential_${name}_frozen ${source})
  target_compile_definitions(differential_${name}_frozen PRIVATE E2E_FROZEN=1)
  target_link_libraries(differential_${name}_frozen PRIVATE ${libraries})
  target_include_directories(differential_${name}_frozen PRIVATE ${FASTBOOT_DIFFERENTIAL_DIR} ${FASTBOOT_DIFFERENTIAL_DIR}/../e2e)
  add_test(NAME differential.${name}
    COMMAND ${check} ${FASTBOOT_BAKE_EXECUTABLE} $<TARGET_FILE:differential_${name}_unbaked>
            $<TARGET_FILE:differential_${name}> $<TARGET_FILE:differential_${name}_lz4>
            $<TARGET_FILE:differential_${name}_frozen>)
endfunction()
