# `cmake --install build --prefix DIR`: minigrad as a CMake package. It installs the
# static libraries (lib/), the public headers with their repository paths
# (include/runtime/session.h, ...), and lib/cmake/minigrad/ with minigradConfig.cmake,
# its version file and the exported targets, named minigrad::runtime, minigrad::ir, ...
# A consumer writes find_package(minigrad) and target_link_libraries(app minigrad::runtime)
# (README.md "Embedding"; tests/consumer is one, built by tests/e2e/consumer.sh).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(minigrad_installed_libraries
  ir frontend passes backend interp jit runtime_data runtime_formats distributed runtime_core runtime_jit runtime)
foreach(lib ${minigrad_installed_libraries})
  set_target_properties(minigrad_${lib} PROPERTIES EXPORT_NAME ${lib})
  list(APPEND minigrad_install_targets minigrad_${lib})
endforeach()
install(TARGETS ${minigrad_install_targets} EXPORT minigradTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
# Headers include each other from the repository root ("runtime/session.h").
install(DIRECTORY ir frontend passes backend runtime DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.h" PATTERN "*.def")

set(minigrad_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/minigrad)
install(EXPORT minigradTargets NAMESPACE minigrad:: DESTINATION ${minigrad_cmake_dir})
configure_package_config_file(cmake/minigradConfig.cmake.in ${CMAKE_BINARY_DIR}/minigradConfig.cmake
                              INSTALL_DESTINATION ${minigrad_cmake_dir})
write_basic_package_version_file(${CMAKE_BINARY_DIR}/minigradConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/minigradConfig.cmake ${CMAKE_BINARY_DIR}/minigradConfigVersion.cmake
        DESTINATION ${minigrad_cmake_dir})
