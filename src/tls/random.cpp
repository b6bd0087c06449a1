// src/tls/random.cpp
#include "src/tls/random.hpp"

#include <openssl/rand.h>

namespace snow::tls {

void random_bytes(std::span<std::uint8_t> out) { RAND_bytes(out.data(), out.size()); }

}  // namespace snow::tls
