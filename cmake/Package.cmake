# Install layout and the Debian package.
#
# `cmake --install build --prefix P` installs:
#   P/bin/stockpipe, P/bin/stockpipe-lambda
#   P/etc/stockpipe/stockpipe.toml                the example configuration (packaging/)
#   P/lib/systemd/system/stockpipe.service        the unit (packaging/systemd/)
#   P/share/stockpipe/README.md, docs/*.md        the documentation
#   P/share/stockpipe/infra/*.tf, README.md, terraform.tfvars.example
#   P/share/stockpipe/stockpipe.env.example       what the secrets file holds (no secret)
#   P/share/stockpipe/grafana/                    the Grafana dashboard, when packaging/grafana exists
# Tests, benchmarks and fuzzers are never installed.
#
# The prefix /usr (the package's) puts the configuration in /etc, as GNUInstallDirs does for
# that prefix; the choice is made when installing, since CPack installs with its own prefix.
#
# `cmake --build build --target package` (or `cpack -G DEB` in build/) writes
# stockpipe_<PROJECT_VERSION>_amd64.deb: everything above under /usr, the configuration a
# conffile, Depends: computed by dpkg-shlibdeps from the binaries plus adduser (the maintainer
# scripts' tool), and the maintainer scripts of packaging/debian/.

set(stockpipe_packaging ${PROJECT_SOURCE_DIR}/packaging)

install(TARGETS stockpipe stockpipe-lambda RUNTIME DESTINATION bin)

# The configuration: <prefix>/etc, or /etc for the prefix /usr. DESTDIR (CPack's staging folder)
# applies as it does to every other file.
install(CODE [[
  set(stockpipe_etc "${CMAKE_INSTALL_PREFIX}/etc")
  if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
    set(stockpipe_etc "/etc")
  endif()
]])
install(CODE "
  file(INSTALL DESTINATION \"\${stockpipe_etc}/stockpipe\" TYPE FILE
       PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ
       FILES \"${stockpipe_packaging}/stockpipe.toml\")
")

install(FILES ${stockpipe_packaging}/systemd/stockpipe.service DESTINATION lib/systemd/system)
install(FILES ${stockpipe_packaging}/stockpipe.env RENAME stockpipe.env.example
  DESTINATION share/stockpipe)

install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION share/stockpipe)
file(GLOB stockpipe_docs CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/docs/*.md)
install(FILES ${stockpipe_docs} DESTINATION share/stockpipe/docs)
file(GLOB stockpipe_terraform CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/infra/*.tf)
install(FILES ${stockpipe_terraform} ${PROJECT_SOURCE_DIR}/infra/README.md
  ${PROJECT_SOURCE_DIR}/infra/terraform.tfvars.example DESTINATION share/stockpipe/infra)
if(EXISTS ${stockpipe_packaging}/grafana)
  install(DIRECTORY ${stockpipe_packaging}/grafana/ DESTINATION share/stockpipe/grafana)
endif()

# ---- The .deb ------------------------------------------------------------------------------------
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME stockpipe)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "stockpipe")
set(CPACK_PACKAGE_CONTACT "stockpipe maintainers <stockpipe@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "real-time stock market data pipeline")
set(CPACK_PACKAGE_DESCRIPTION
  "Feed -> stream -> ingest -> RAW archive + CLEAN store -> SQL -> trend rules -> BUY/SELL\
 alerts, embedded on one machine (a systemd service) or on AWS from the same code.")
# Absolute destinations (/etc) are staged under DESTDIR; everything else under /usr.
# (With DESTDIR, CPack installs with CPACK_INSTALL_PREFIX, not the build's CMAKE_INSTALL_PREFIX.)
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # stockpipe_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SECTION misc)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Depends: the shared libraries' packages, from dpkg-shlibdeps, then adduser for postinst.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${stockpipe_packaging}/debian/conffiles ${stockpipe_packaging}/debian/postinst
  ${stockpipe_packaging}/debian/prerm ${stockpipe_packaging}/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
