// The system's OpenSSL libcrypto (Debian's libssl3, which libcurl already loads): the two
// primitives amosync uses, SHA-256 and HMAC-SHA256.
#include <openssl/evp.h>
#include <openssl/hmac.h>
