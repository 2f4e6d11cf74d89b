// The dashboard over HTTPS ([serve] tls_cert / tls_key) and the rule that keeps the token off
// plain HTTP to other machines.
//
// The certificate is made here by the `openssl` command line: a self-signed certificate for
// 127.0.0.1 that is its own CA, so the client verifies the server against it (verification on,
// hostname checked) exactly as it would a real CA's. The real server runs on 127.0.0.1; the
// non-loopback cases use 192.0.2.1 (TEST-NET-1, on no interface): the checks under test come
// before binding, and an address that passes them fails only at bind (exit 1, "cannot listen"),
// so nothing here listens beyond loopback.
// cpp-httplib's HTTPS client: its pkg-config flags define CPPHTTPLIB_OPENSSL_SUPPORT.
#include <gtest/gtest.h>
#include <httplib.h>

#include <filesystem>
#include <string>

#include "serve/access.h"
#include "serve/http_fixture.h"
#include "serve/http_server.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace stockpipe {
namespace {

namespace fs = std::filesystem;
using testing::RunStockpipe;

constexpr char kToken[] = "tls-test-token-0123456789";

// A P-256 key and a self-signed certificate for 127.0.0.1 (`name`.key / `name`.pem in `dir`).
struct CertFiles {
  fs::path cert, key;
};
CertFiles MakeCert(const fs::path& dir, const std::string& name) {
  CertFiles files{dir / (name + ".pem"), dir / (name + ".key")};
  const fs::path log = dir / (name + ".log");
  const auto r =
      testing::Spawn({.program = "openssl",
                      .args = {"req", "-x509", "-newkey", "ec", "-pkeyopt",
                               "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj",
                               "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout",
                               files.key.string(), "-out", files.cert.string()},
                      .env = testing::CleanEnvironment(),
                      .stdout_file = log,
                      .stderr_file = log})
          .Wait();
  EXPECT_EQ(r.exit_code, 0) << testing::ReadFile(log);
  return files;
}

class HttpsTest : public ::testing::Test {
 protected:
  void SetUp() override { cert_ = MakeCert(dir_.path(), "server"); }

  // The server's data folder, filled by the pipeline on first use (the CLI cases need none).
  Config TlsConfig() {
    if (!data_) data_ = std::make_unique<testing::PipelineData>();
    Config config = data_->MakeConfig();
    config.serve.tls_cert = cert_.cert.string();
    config.serve.tls_key = cert_.key.string();
    return config;
  }

  // A client that trusts only the test certificate, verification on.
  std::unique_ptr<httplib::SSLClient> Client(int port) const {
    auto client = std::make_unique<httplib::SSLClient>("127.0.0.1", port);
    client->set_ca_cert_path(cert_.cert.string());
    client->enable_server_certificate_verification(true);
    client->set_connection_timeout(std::chrono::seconds(10));
    client->set_read_timeout(std::chrono::seconds(30));
    return client;
  }

  std::vector<std::string> With(std::vector<std::string> args) const {
    args.insert(args.begin(), {"--data-dir", (dir_.path() / "data").string()});
    return args;
  }

  testing::TempDir dir_;
  std::unique_ptr<testing::PipelineData> data_;
  CertFiles cert_;
};

TEST_F(HttpsTest, ServesHealthzAndTheTokenProtectedApiOverVerifiedTls) {
  Config config = TlsConfig();
  config.serve.token = kToken;
  auto server = testing::StartServer(config);
  ASSERT_TRUE(server);
  EXPECT_EQ(server->url(), fmt::format("https://127.0.0.1:{}/", server->port()));
  auto client = Client(server->port());

  auto health = client->Get("/healthz");
  ASSERT_TRUE(health) << httplib::to_string(health.error());
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(health->body, R"({"status":"ok"})");

  EXPECT_EQ(client->Get("/api/status")->status, 401) << "the token is still asked for";
  auto status = client->Get("/api/status", {{"Authorization", std::string("Bearer ") + kToken}});
  ASSERT_TRUE(status) << httplib::to_string(status.error());
  EXPECT_EQ(status->status, 200);
  const auto doc = testing::Body(status);
  EXPECT_TRUE(doc.contains("ingest")) << status->body.substr(0, 300);

  // The cookie set over HTTPS is never sent back over plain HTTP.
  auto login = client->Get(std::string("/?token=") + kToken);
  ASSERT_TRUE(login);
  EXPECT_EQ(login->status, 303);
  EXPECT_NE(login->get_header_value("Set-Cookie").find("; Secure"), std::string::npos)
      << login->get_header_value("Set-Cookie");
}

TEST_F(HttpsTest, RefusesClientsThatDoNotVerifyOrDoNotSpeakTls) {
  auto server = testing::StartServer(TlsConfig());
  ASSERT_TRUE(server);

  // Plain HTTP to the TLS port: no HTTP answer, the handshake fails and the connection closes.
  httplib::Client plain("127.0.0.1", server->port());
  plain.set_read_timeout(std::chrono::seconds(30));
  auto r = plain.Get("/healthz");
  EXPECT_FALSE(r && r->status == 200) << "plain HTTP was answered over the TLS port";

  // A client trusting another CA refuses the server: verification is really on.
  const CertFiles other = MakeCert(dir_.path(), "other");
  httplib::SSLClient stranger("127.0.0.1", server->port());
  stranger.set_ca_cert_path(other.cert.string());
  stranger.enable_server_certificate_verification(true);
  auto refused = stranger.Get("/healthz");
  EXPECT_FALSE(refused);
  if (!refused) {
    EXPECT_EQ(refused.error(), httplib::Error::SSLServerVerification);
  }

  // And the server still serves the right client afterwards.
  auto health = Client(server->port())->Get("/healthz");
  ASSERT_TRUE(health) << httplib::to_string(health.error());
  EXPECT_EQ(health->status, 200);
}

// TLS 1.2 and later only: a TLS 1.1 handshake (the client's own floor lowered, SECLEVEL=0, so the
// refusal is the server's) gets the `protocol version` alert; the same client at TLS 1.2 gets in.
TEST_F(HttpsTest, RefusesTls11AndAcceptsTls12) {
  auto server = testing::StartServer(TlsConfig());
  ASSERT_TRUE(server);
  const auto handshake = [&](const std::string& version) {
    const fs::path log = dir_.path() / ("s_client" + version + ".log");
    const auto r =
        testing::Spawn({.program = "openssl",
                        .args = {"s_client", "-connect",
                                 fmt::format("127.0.0.1:{}", server->port()), "-tls" + version,
                                 "-cipher", "DEFAULT@SECLEVEL=0", "-CAfile", cert_.cert.string()},
                        .env = testing::CleanEnvironment(),
                        .stdout_file = log,
                        .stderr_file = log})
            .Wait();
    return std::pair{r.exit_code, testing::ReadFile(log)};
  };
  const auto [old_code, old_out] = handshake("1_1");
  EXPECT_NE(old_code, 0) << old_out;
  EXPECT_NE(old_out.find("alert protocol version"), std::string::npos) << old_out;
  const auto [code, out] = handshake("1_2");
  EXPECT_NE(out.find("Protocol  : TLSv1.2"), std::string::npos) << code << "\n" << out;
  EXPECT_NE(out.find("Verify return code: 0 (ok)"), std::string::npos) << out;
}

TEST(HttpTransport, ATokenToANonLoopbackAddressNeedsTlsOrTheExplicitOptOut) {
  const HostPort remote{"192.0.2.1", 8080}, local{"127.0.0.1", 8080};
  const Status plain = serve::CheckTransport(remote, true, false, false);
  ASSERT_FALSE(plain.ok());
  for (const char* named : {"tls_cert", "tls_key", "--insecure-http", "allow_plain_http"}) {
    EXPECT_NE(plain.message().find(named), std::string::npos) << plain.message();
  }
  EXPECT_TRUE(serve::CheckTransport(remote, true, true, false).ok()) << "TLS";
  EXPECT_TRUE(serve::CheckTransport(remote, true, false, true).ok()) << "opt-out";
  EXPECT_TRUE(serve::CheckTransport(local, true, false, false).ok()) << "loopback";
  EXPECT_TRUE(serve::CheckTransport(remote, false, false, false).ok())
      << "no token to leak (CheckExposure refuses that case)";
}

TEST_F(HttpsTest, TheBinaryRefusesATokenOverPlainHttpUnlessToldAndAcceptsTls) {
  const testing::RunOptions with_token{.cwd = dir_.path(),
                                       .env = {{"STOCKPIPE_HTTP_TOKEN", kToken}}};
  const auto refused =
      RunStockpipe(With({"serve", "--http", "192.0.2.1:0", "--allow-remote"}), with_token);
  EXPECT_EQ(refused.exit_code, 2) << refused.err;
  for (const char* named : {"tls_cert", "tls_key", "--insecure-http", "allow_plain_http"}) {
    EXPECT_NE(refused.err.find(named), std::string::npos) << refused.err;
  }
  EXPECT_EQ(refused.err.find(kToken), std::string::npos) << "the token is never logged";
  const auto refused_run = RunStockpipe(
      With({"run", "--http", "192.0.2.1:0", "--allow-remote", "--for", "1s"}), with_token);
  EXPECT_EQ(refused_run.exit_code, 2) << refused_run.err;

  // Past the checks, the next step is binding, which 192.0.2.1 fails: exit 1, not refused.
  const auto past_checks = [](const testing::ProcessResult& r) {
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_EQ(r.err.find("refusing"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("cannot listen on 192.0.2.1:0"), std::string::npos) << r.err;
  };
  past_checks(RunStockpipe(
      With({"serve", "--http", "192.0.2.1:0", "--allow-remote", "--insecure-http"}), with_token));
  testing::WriteFile(dir_.path() / "plain.toml", "[serve]\nallow_plain_http = true\n");
  past_checks(RunStockpipe(With({"--config", (dir_.path() / "plain.toml").string(), "serve",
                                 "--http", "192.0.2.1:0", "--allow-remote"}),
                           with_token));
  testing::WriteFile(dir_.path() / "tls.toml",
                     fmt::format("[serve]\ntls_cert = \"{}\"\ntls_key = \"{}\"\n",
                                 cert_.cert.string(), cert_.key.string()));
  past_checks(RunStockpipe(With({"--config", (dir_.path() / "tls.toml").string(), "serve", "--http",
                                 "192.0.2.1:0", "--allow-remote"}),
                           with_token));
}

TEST_F(HttpsTest, BadCertificateOrKeyFilesExit2NamingTheFile) {
  const fs::path garbage = dir_.path() / "garbage.pem";
  testing::WriteFile(garbage, "not a certificate\n");
  const CertFiles other = MakeCert(dir_.path(), "other");
  struct Case {
    std::string cert, key, named;
  };
  const std::string missing = (dir_.path() / "missing.pem").string();
  for (const Case& c :
       {Case{missing, cert_.key.string(), "serve.tls_cert " + missing + ": no such file"},
        Case{garbage.string(), cert_.key.string(), "serve.tls_cert " + garbage.string()},
        Case{cert_.cert.string(), garbage.string(), "serve.tls_key " + garbage.string()},
        Case{cert_.cert.string(), other.key.string(),
             "serve.tls_key " + other.key.string() + " is not the key of the certificate"}}) {
    const fs::path config = dir_.path() / "bad.toml";
    testing::WriteFile(
        config, fmt::format("[serve]\ntls_cert = \"{}\"\ntls_key = \"{}\"\n", c.cert, c.key));
    const auto r =
        RunStockpipe(With({"--config", config.string(), "serve", "--http", "127.0.0.1:0"}),
                     {.cwd = dir_.path()});
    EXPECT_EQ(r.exit_code, 2) << c.named << "\n" << r.err;
    EXPECT_NE(r.err.find(c.named), std::string::npos) << r.err;
  }
  // One without the other is a configuration error.
  const fs::path half = dir_.path() / "half.toml";
  testing::WriteFile(half, fmt::format("[serve]\ntls_cert = \"{}\"\n", cert_.cert.string()));
  const auto r = RunStockpipe(With({"--config", half.string(), "serve"}), {.cwd = dir_.path()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("serve.tls_key must name"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace stockpipe
