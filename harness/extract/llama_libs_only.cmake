# Read by CMake right after llama.cpp's project() call when the embedded model's runtime (llama-cpp-python) is built
# (harness.extract.local_model_setup passes it as CMAKE_PROJECT_llama.cpp_INCLUDE).
# llama-cpp-python forces LLAMA_BUILD_COMMON on, but its Python package loads only libllama and ggml: the common
# library (chat parsers, an HTTP client, argument parsing) is half of the compile and is never loaded. A normal
# variable set here, in llama.cpp's own scope, wins over that cache entry, so the common library is not built.
set(LLAMA_BUILD_COMMON OFF)
