// A throwaway PKI for TLS tests, made at test time with OpenSSL's C API (no openssl CLI needed):
// a self-signed CA and a server certificate it signed for 127.0.0.1 and localhost, written as PEM
// files into a directory. Clients verify the server against `ca` like against any real CA.
#pragma once

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>

namespace stockpipe::testing {

struct TestPki {
  std::string ca;    // CA certificate (what a client trusts)
  std::string cert;  // server certificate
  std::string key;   // server private key
};

namespace pki_detail {

using Key = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using Cert = std::unique_ptr<X509, decltype(&X509_free)>;

inline void Check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("test PKI: ") + what + " failed");
}

inline void AddExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  Check(ext != nullptr, value);
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

inline Cert NewCert(const char* common_name, long serial, EVP_PKEY* key) {
  Cert cert(X509_new(), X509_free);
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24 * 3600);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name), -1, -1, 0);
  X509_set_pubkey(cert.get(), key);
  return cert;
}

inline void WritePem(const std::string& path, X509* cert, EVP_PKEY* key) {
  FILE* file = std::fopen(path.c_str(), "w");
  Check(file != nullptr, "open PEM file");
  const bool ok = cert
                      ? PEM_write_X509(file, cert) == 1
                      : PEM_write_PrivateKey(file, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
  std::fclose(file);
  Check(ok, "write PEM");
}

}  // namespace pki_detail

inline TestPki MakeTestPki(const std::string& dir) {
  using namespace pki_detail;
  Key ca_key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  Key server_key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  Check(ca_key && server_key, "key generation");

  Cert ca = NewCert("stockpipe test CA", 1, ca_key.get());
  X509_set_issuer_name(ca.get(), X509_get_subject_name(ca.get()));
  AddExtension(ca.get(), ca.get(), NID_basic_constraints, "critical,CA:TRUE");
  AddExtension(ca.get(), ca.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
  AddExtension(ca.get(), ca.get(), NID_subject_key_identifier, "hash");
  Check(X509_sign(ca.get(), ca_key.get(), EVP_sha256()) > 0, "CA signature");

  Cert server = NewCert("127.0.0.1", 2, server_key.get());
  X509_set_issuer_name(server.get(), X509_get_subject_name(ca.get()));
  AddExtension(server.get(), ca.get(), NID_basic_constraints, "critical,CA:FALSE");
  AddExtension(server.get(), ca.get(), NID_key_usage, "critical,digitalSignature");
  AddExtension(server.get(), ca.get(), NID_ext_key_usage, "serverAuth");
  AddExtension(server.get(), ca.get(), NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost");
  AddExtension(server.get(), ca.get(), NID_authority_key_identifier, "keyid");
  Check(X509_sign(server.get(), ca_key.get(), EVP_sha256()) > 0, "server signature");

  TestPki pki{dir + "/ca.pem", dir + "/server.pem", dir + "/server-key.pem"};
  WritePem(pki.ca, ca.get(), nullptr);
  WritePem(pki.cert, server.get(), nullptr);
  WritePem(pki.key, nullptr, server_key.get());
  return pki;
}

}  // namespace stockpipe::testing
