// Provides std::ios_base_library_init(), which GCC 13 compiled code references to pin
// libstdc++ >= GLIBCXX_3.4.32. Older libstdc++ (Debian 12 ships 3.4.30) lacks it; the
// build links this shim into the patched copy of libLibTorchSharp.so instead.
// The namespace-scope Init object initialises the standard streams at load time, which
// is what the GCC 13 runtime does on behalf of code that references the symbol.
#include <ios>

namespace std
{
    void ios_base_library_init() {}
}

static std::ios_base::Init langbridge_stream_init;
