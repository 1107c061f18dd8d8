# Finds railguard's third-party dependencies once and exports them as
# imported targets, so a layer's CMakeLists.txt only says what it links:
#
#   rg::antlr4   ANTLR 4 C++ runtime      (Debian: libantlr4-runtime-dev)
#   rg::re2      RE2                      (libre2-dev, via pkg-config)
#   rg::json     nlohmann::json           (nlohmann-json3-dev, header only)
#   rg::yaml     yaml-cpp                 (libyaml-cpp-dev)
#   rg::edit     libedit, readline API    (libedit-dev, via pkg-config)
#   rg::doctest  doctest                  (doctest-dev, header only)
#   rg::curl     libcurl                  (libcurl4-openssl-dev)
#   rg::boost    Boost.Asio + Beast       (libboost-dev, header only, 1.74+)
#   rg::sqlite3  SQLite 3                 (libsqlite3-dev)
#
# For the grammar build (colang/) it also sets, when found:
#   RG_ANTLR4_JAR         the ANTLR 4 tool jar (Debian: /usr/share/java/antlr4.jar)
#   RG_ANTLR4_EXECUTABLE  the `antlr4` wrapper script
#   RG_JAVA_EXECUTABLE    java, to run the jar
#   RG_ANTLR4_RUNTIME_VERSION  the runtime's version, when its CMake package says
#
# scripts/setup.sh installs all of them on Debian 12.

find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)

# ---------------------------------------------------------------- ANTLR 4 runtime
find_path(RG_ANTLR4_INCLUDE_DIR antlr4-runtime.h PATH_SUFFIXES antlr4-runtime)
find_library(RG_ANTLR4_LIBRARY NAMES antlr4-runtime)
if(NOT RG_ANTLR4_INCLUDE_DIR OR NOT RG_ANTLR4_LIBRARY)
  message(FATAL_ERROR "ANTLR 4 C++ runtime not found (apt-get install libantlr4-runtime-dev)")
endif()
add_library(rg::antlr4 INTERFACE IMPORTED GLOBAL)
target_include_directories(rg::antlr4 SYSTEM INTERFACE "${RG_ANTLR4_INCLUDE_DIR}")
target_link_libraries(rg::antlr4 INTERFACE "${RG_ANTLR4_LIBRARY}" Threads::Threads)

find_package(antlr4-runtime QUIET CONFIG)
if(ANTLR_VERSION)
  set(RG_ANTLR4_RUNTIME_VERSION "${ANTLR_VERSION}")
endif()

# The code generator: optional here, colang/ decides whether it needs it.
find_file(RG_ANTLR4_JAR NAMES antlr4.jar antlr-complete.jar
          PATHS /usr/share/java /usr/local/lib /usr/local/share/java NO_DEFAULT_PATH)
find_program(RG_ANTLR4_EXECUTABLE antlr4)
find_program(RG_JAVA_EXECUTABLE java)

# ---------------------------------------------------------------- RE2
pkg_check_modules(RG_PC_RE2 REQUIRED IMPORTED_TARGET GLOBAL re2)
add_library(rg::re2 INTERFACE IMPORTED GLOBAL)
target_link_libraries(rg::re2 INTERFACE PkgConfig::RG_PC_RE2)

# ---------------------------------------------------------------- nlohmann::json
find_package(nlohmann_json 3.2 REQUIRED CONFIG)
add_library(rg::json INTERFACE IMPORTED GLOBAL)
target_link_libraries(rg::json INTERFACE nlohmann_json::nlohmann_json)

# ---------------------------------------------------------------- yaml-cpp
find_package(yaml-cpp REQUIRED CONFIG)
add_library(rg::yaml INTERFACE IMPORTED GLOBAL)
if(TARGET yaml-cpp::yaml-cpp)
  target_link_libraries(rg::yaml INTERFACE yaml-cpp::yaml-cpp)
else()
  target_link_libraries(rg::yaml INTERFACE yaml-cpp)
endif()

# ---------------------------------------------------------------- libedit
pkg_check_modules(RG_PC_EDIT REQUIRED IMPORTED_TARGET GLOBAL libedit)
add_library(rg::edit INTERFACE IMPORTED GLOBAL)
target_link_libraries(rg::edit INTERFACE PkgConfig::RG_PC_EDIT)

# ---------------------------------------------------------------- libcurl
find_package(CURL REQUIRED)
add_library(rg::curl INTERFACE IMPORTED GLOBAL)
target_link_libraries(rg::curl INTERFACE CURL::libcurl)

# ---------------------------------------------------------------- Boost (Asio, Beast)
# Header only: the server (rails/server/) uses Asio for sockets and timers and
# Beast for HTTP/1.1 parsing and serialisation.
find_package(Boost 1.74 QUIET)
if(Boost_FOUND)
  add_library(rg::boost INTERFACE IMPORTED GLOBAL)
  target_include_directories(rg::boost SYSTEM INTERFACE "${Boost_INCLUDE_DIRS}")
  target_compile_definitions(rg::boost INTERFACE BOOST_ASIO_NO_DEPRECATED BOOST_BEAST_USE_STD_STRING_VIEW)
  target_link_libraries(rg::boost INTERFACE Threads::Threads)
else()
  message(WARNING "Boost 1.74+ headers not found (apt-get install libboost-dev); the server is not built")
endif()

# ---------------------------------------------------------------- SQLite 3
find_package(SQLite3 QUIET)
if(SQLite3_FOUND)
  add_library(rg::sqlite3 INTERFACE IMPORTED GLOBAL)
  target_link_libraries(rg::sqlite3 INTERFACE SQLite::SQLite3)
else()
  message(WARNING "SQLite 3 not found (apt-get install libsqlite3-dev); the server is not built")
endif()

# ---------------------------------------------------------------- doctest
add_library(rg::doctest INTERFACE IMPORTED GLOBAL)
find_package(doctest QUIET CONFIG)
if(TARGET doctest::doctest)
  target_link_libraries(rg::doctest INTERFACE doctest::doctest)
else()
  find_path(RG_DOCTEST_INCLUDE_DIR doctest/doctest.h)
  if(RG_DOCTEST_INCLUDE_DIR)
    target_include_directories(rg::doctest SYSTEM INTERFACE "${RG_DOCTEST_INCLUDE_DIR}")
  elseif(RG_BUILD_TESTS)
    message(FATAL_ERROR "doctest not found (apt-get install doctest-dev)")
  endif()
endif()
