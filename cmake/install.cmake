# What `cmake --install` puts under the prefix: the smtpfuzz command, and
# the harness as a library for an outside project that brings its own
# client (harness/client.h) and writes only the adapter:
#   lib/                     the static libraries (harness, then the engine)
#   include/smtpfuzz/        the public headers, flat, as the harness includes them
#   lib/pkgconfig/smtpfuzz-harness.pc
#   lib/cmake/smtpfuzz/      find_package(smtpfuzz): target smtpfuzz::harness
# The man page and the bash completion are installed by cmake/docs.cmake.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# The public headers: what an adapter and its driver include, and every
# header of ours those include (tests/install_outside.sh checks that each
# compiles alone from the installed folder). Add a header here, nowhere else.
set(SF_PUBLIC_HEADERS
    harness/client.h
    harness/scenario.h
    harness/scenario_text.h
    harness/scenario_binary.h
    harness/sim.h
    harness/oracle.h
    harness/wire.h
    harness/tls_peer.h
    harness/ossl_heap.h
    src/config.h
    src/errors.h)

# The libraries in link order (each only uses those after it), for the
# export set and the pkg-config file alike.
set(SF_INSTALL_LIBRARIES sf_harness sf_session sf_tls_openssl sf_caps sf_reply sf_config sf_host
                         sf_errors)

set(SF_INCLUDE_SUBDIR ${CMAKE_INSTALL_INCLUDEDIR}/smtpfuzz)
set(SF_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/smtpfuzz)

install(TARGETS smtpfuzz RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

set_target_properties(sf_harness PROPERTIES EXPORT_NAME harness)
set_target_properties(smtpfuzz_engine PROPERTIES EXPORT_NAME engine)
install(TARGETS ${SF_INSTALL_LIBRARIES} smtpfuzz_engine
        EXPORT smtpfuzzTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${SF_INCLUDE_SUBDIR})
install(EXPORT smtpfuzzTargets NAMESPACE smtpfuzz:: DESTINATION ${SF_CMAKE_DIR})

foreach(header ${SF_PUBLIC_HEADERS})
  install(FILES ${PROJECT_SOURCE_DIR}/${header} DESTINATION ${SF_INCLUDE_SUBDIR})
endforeach()

configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/smtpfuzzConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/smtpfuzzConfig.cmake
                              INSTALL_DESTINATION ${SF_CMAKE_DIR})
# 0.x: a minor version may change the interface.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/smtpfuzzConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/smtpfuzzConfig.cmake
              ${PROJECT_BINARY_DIR}/smtpfuzzConfigVersion.cmake
        DESTINATION ${SF_CMAKE_DIR})

# pkg-config: paths relative to the .pc file itself (${pcfiledir}), so the
# file stays right under whatever prefix `cmake --install --prefix` chose.
set(SF_PC_LIBS "")
foreach(lib ${SF_INSTALL_LIBRARIES})
  string(APPEND SF_PC_LIBS " -l${lib}")
endforeach()
set(pc_dir ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}" OR IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  message(FATAL_ERROR "the pkg-config file needs CMAKE_INSTALL_LIBDIR and CMAKE_INSTALL_INCLUDEDIR "
                      "relative to the prefix")
endif()
file(RELATIVE_PATH SF_PC_TO_PREFIX /prefix/${pc_dir} /prefix)
string(REGEX REPLACE "/$" "" SF_PC_TO_PREFIX "${SF_PC_TO_PREFIX}")
configure_file(${CMAKE_CURRENT_LIST_DIR}/smtpfuzz-harness.pc.in
               ${PROJECT_BINARY_DIR}/smtpfuzz-harness.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/smtpfuzz-harness.pc DESTINATION ${pc_dir})
