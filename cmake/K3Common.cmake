# The one place that sets compiler flags for our targets, libtorch's included.
find_package(Threads REQUIRED)

if(K3_SANITIZE)
  string(REPLACE "," ";" _k3_sanitizers "${K3_SANITIZE}")
  foreach(_s IN LISTS _k3_sanitizers)
    add_compile_options(-fsanitize=${_s})
    add_link_options(-fsanitize=${_s})
  endforeach()
  add_compile_options(-fno-omit-frame-pointer -fno-sanitize-recover=undefined)
endif()

if(K3_FUZZ_ONLY AND CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()

# Warnings for a target of ours (third-party headers come in as SYSTEM and stay quiet).
function(k3_target_defaults target)
  if(K3_WARNINGS)
    target_compile_options(${target} PRIVATE -Wall -Wextra)
  endif()
  if(K3_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

# Each library's own include root: a folder in the build tree holding links to exactly the source
# folders (or single headers) named, so that a consumer can include a library's front door and
# nothing behind it (a shortcut into another library's internals fails to compile, not just the
# layout check). Paths are relative to the source root and keep their spelling in #include lines.
#   k3_include_root(TARGET PUBLIC|PRIVATE|INTERFACE PATH...)
function(k3_include_root target scope)
  set(_root ${PROJECT_BINARY_DIR}/include/${target}.${scope})
  foreach(_path IN LISTS ARGN)
    get_filename_component(_parent ${_root}/${_path} DIRECTORY)
    file(MAKE_DIRECTORY ${_parent})
    if(NOT EXISTS ${_root}/${_path})
      file(CREATE_LINK ${PROJECT_SOURCE_DIR}/${_path} ${_root}/${_path} SYMBOLIC)
    endif()
  endforeach()
  target_include_directories(${target} ${scope} ${_root})
endfunction()

if(K3_SCHEDULES_ONLY OR K3_FUZZ_ONLY)
  return()
endif()

# libtorch: found once, its flags applied through this function only.
# Works with Debian's libtorch 1.13 and a CUDA libtorch 2.x given by -DCMAKE_PREFIX_PATH.
find_package(Torch REQUIRED)
function(k3_use_torch target visibility)
  target_link_libraries(${target} ${visibility} ${TORCH_LIBRARIES})
  # Torch's own headers are noisy under -Wextra: mark them as system headers.
  get_target_property(_inc torch INTERFACE_INCLUDE_DIRECTORIES)
  if(_inc)
    target_include_directories(${target} SYSTEM ${visibility} ${_inc})
  endif()
endfunction()
