# Lambda packaging: turns an executable into a deployment zip for the `provided.al2023` runtime.
#
# stockpipe_add_lambda_zip(<target>) adds the target `<target>-zip`, which builds
# `${CMAKE_BINARY_DIR}/<target>.zip` holding `bootstrap`, `bin/<target>` and, under `lib/`, every
# shared library the executable loads plus the dynamic loader it was linked against: the function
# runs with the libraries it was built and tested with, whatever the C library of the Lambda image.
# The zip is written by `cmake -E tar --format=zip`, so packaging needs nothing beyond CMake, sh
# and ldd. See packaging/package-lambda.sh.

set(STOCKPIPE_LAMBDA_PACKAGER ${CMAKE_CURRENT_LIST_DIR}/../packaging/package-lambda.sh)
set(STOCKPIPE_LAMBDA_BOOTSTRAP ${CMAKE_CURRENT_LIST_DIR}/../packaging/bootstrap.in)

function(stockpipe_add_lambda_zip target)
  set(zip ${CMAKE_BINARY_DIR}/${target}.zip)
  add_custom_command(
    OUTPUT ${zip}
    COMMAND sh ${STOCKPIPE_LAMBDA_PACKAGER} $<TARGET_FILE:${target}> ${zip} ${CMAKE_COMMAND}
    DEPENDS ${target} ${STOCKPIPE_LAMBDA_PACKAGER} ${STOCKPIPE_LAMBDA_BOOTSTRAP}
    COMMENT "Packaging ${target} for AWS Lambda: ${zip}"
    VERBATIM)
  add_custom_target(${target}-zip DEPENDS ${zip})
  set_property(TARGET ${target} PROPERTY STOCKPIPE_LAMBDA_ZIP ${zip})
endfunction()

# Called (deferred) once tests/ is configured: the `lambda_*` tests run the binary and the zip, so
# they are built first and told where both are; they also get cpp-httplib for their in-test
# Runtime API server.
function(stockpipe_wire_lambda_tests target)
  if(NOT STOCKPIPE_TESTS)
    return()
  endif()
  get_property(zip TARGET ${target} PROPERTY STOCKPIPE_LAMBDA_ZIP)
  get_property(tests DIRECTORY ${PROJECT_SOURCE_DIR}/tests PROPERTY BUILDSYSTEM_TARGETS)
  foreach(test ${tests})
    if(test MATCHES "^lambda_.*_test$")
      add_dependencies(${test} ${target} ${target}-zip)
      target_compile_definitions(${test} PRIVATE
        STOCKPIPE_LAMBDA_BINARY="$<TARGET_FILE:${target}>" STOCKPIPE_LAMBDA_ZIP="${zip}"
        STOCKPIPE_CMAKE="${CMAKE_COMMAND}")
      target_link_libraries(${test} PRIVATE PkgConfig::HTTPLIB)
    endif()
  endforeach()
endfunction()
