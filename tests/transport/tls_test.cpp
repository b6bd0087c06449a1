#include "src/tls/tls.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <random>
#include <string>

#include "transport/test_certs.hpp"

using snow::TlsOptions;
using snow::testing::MutualTlsFiles;
using snow::tls::TlsContext;
using snow::tls::TlsSession;

namespace {

std::shared_ptr<const TlsContext> context(const TlsOptions& options = {}) {
  auto ctx = TlsContext::create(options);
  REQUIRE_MESSAGE(ctx.ok(), ctx.status().ToString());
  return *ctx;
}

std::unique_ptr<TlsSession> session(std::shared_ptr<const TlsContext> ctx, TlsSession::Role role) {
  auto s = TlsSession::create(std::move(ctx), role);
  REQUIRE_MESSAGE(s.ok(), s.status().ToString());
  return std::move(*s);
}

// What each side of a pair of in-memory sessions received, and the first error each saw.
struct Exchange {
  std::string client_got, server_got;
  absl::Status client_status, server_status;
};

// Carries ciphertext between the two sessions until neither has anything to say (or one
// fails), as a network would. `max_chunk` cuts deliveries, as TCP may.
Exchange shuttle(TlsSession& client, TlsSession& server, std::size_t max_chunk = SIZE_MAX) {
  Exchange ex;
  for (int rounds = 0; rounds < 10000; ++rounds) {
    std::string to_server = client.take_ciphertext();
    std::string to_client = server.take_ciphertext();
    if (to_server.empty() && to_client.empty()) break;
    for (std::size_t i = 0; i < to_server.size() && ex.server_status.ok(); i += max_chunk) {
      ex.server_status = server.receive(std::string_view(to_server).substr(i, max_chunk), &ex.server_got);
    }
    for (std::size_t i = 0; i < to_client.size() && ex.client_status.ok(); i += max_chunk) {
      ex.client_status = client.receive(std::string_view(to_client).substr(i, max_chunk), &ex.client_got);
    }
    if (!ex.client_status.ok() && !ex.server_status.ok()) break;
  }
  return ex;
}

std::string random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}
// Debian's Abseil has its own string_view, so a Status's message needs converting.
bool contains(const absl::Status& status, std::string_view needle) {
  return contains(std::string_view(status.message().data(), status.message().size()), needle);
}

}  // namespace

TEST_SUITE("tls") {
TEST_CASE("two sessions handshake in memory and carry data both ways") {
  auto server_ctx = context();
  auto client_ctx = context();
  auto client = session(client_ctx, TlsSession::Role::client);
  auto server = session(server_ctx, TlsSession::Role::server);
  CHECK(client->ciphertext_pending() > 0);  // the ClientHello, ready at once
  CHECK_FALSE(client->handshake_complete());
  CHECK(client->exporter().empty());
  CHECK(client->send("too early").code() == absl::StatusCode::kFailedPrecondition);

  Exchange ex = shuttle(*client, *server);
  REQUIRE(ex.client_status.ok());
  REQUIRE(ex.server_status.ok());
  REQUIRE(client->handshake_complete());
  REQUIRE(server->handshake_complete());
  CHECK(client->version() == "TLSv1.3");
  CHECK(server->version() == "TLSv1.3");
  CHECK(ex.client_got.empty());
  CHECK(ex.server_got.empty());

  REQUIRE(client->send("hello, server").ok());
  REQUIRE(client->send(" and more").ok());
  REQUIRE(server->send("hello, client").ok());
  ex = shuttle(*client, *server);
  CHECK(ex.server_got == "hello, server and more");
  CHECK(ex.client_got == "hello, client");

  // A megabyte each way, delivered in odd-sized pieces, arrives whole and in order.
  const std::string big_up = random_bytes(1 << 20, 1);
  const std::string big_down = random_bytes(1 << 20, 2);
  REQUIRE(client->send(big_up).ok());
  REQUIRE(server->send(big_down).ok());
  ex = shuttle(*client, *server, 7001);
  REQUIRE(ex.client_status.ok());
  REQUIRE(ex.server_status.ok());
  CHECK(ex.server_got == big_up);
  CHECK(ex.client_got == big_down);
}

TEST_CASE("both ends export the same 32 bytes; another session exports others") {
  auto ctx = context();
  auto c1 = session(ctx, TlsSession::Role::client);
  auto s1 = session(ctx, TlsSession::Role::server);
  auto c2 = session(ctx, TlsSession::Role::client);
  auto s2 = session(ctx, TlsSession::Role::server);
  REQUIRE(shuttle(*c1, *s1).server_status.ok());
  REQUIRE(shuttle(*c2, *s2).server_status.ok());
  REQUIRE(c1->exporter().size() == snow::tls::kExporterBytes);
  CHECK(c1->exporter() == s1->exporter());
  CHECK(c2->exporter() == s2->exporter());
  CHECK(c1->exporter() != c2->exporter());
  CHECK(c1->exporter() != std::string(snow::tls::kExporterBytes, '\0'));
}

TEST_CASE("close_notify reaches the peer") {
  auto ctx = context();
  auto client = session(ctx, TlsSession::Role::client);
  auto server = session(ctx, TlsSession::Role::server);
  REQUIRE(shuttle(*client, *server).server_status.ok());
  REQUIRE(client->send("last words").ok());
  client->close();
  CHECK(client->send("after close").code() == absl::StatusCode::kFailedPrecondition);
  Exchange ex = shuttle(*client, *server);
  CHECK(ex.server_status.ok());
  CHECK(ex.server_got == "last words");
  CHECK(server->peer_closed());
}

TEST_CASE("a server fed garbage or plain text fails with Unavailable and says why") {
  auto ctx = context();
  SUBCASE("random bytes") {
    auto server = session(ctx, TlsSession::Role::server);
    std::string got;
    absl::Status st = server->receive(random_bytes(512, 3), &got);
    CHECK(st.code() == absl::StatusCode::kUnavailable);
    CHECK(contains(st, "TLS handshake failed"));
    CHECK(server->failed());
    CHECK(got.empty());
    // Dead for good: more input gives the same error, not a crash.
    CHECK(server->receive("more", &got).code() == absl::StatusCode::kUnavailable);
  }
  SUBCASE("an HTTP request") {
    auto server = session(ctx, TlsSession::Role::server);
    std::string got;
    absl::Status st = server->receive("GET / HTTP/1.0\r\n\r\n", &got);
    CHECK(st.code() == absl::StatusCode::kUnavailable);
    CHECK(contains(st, "HTTP_REQUEST"));
  }
  SUBCASE("a client fed garbage") {
    auto client = session(ctx, TlsSession::Role::client);
    std::string got;
    CHECK(client->receive(std::string(64, '\x17'), &got).code() == absl::StatusCode::kUnavailable);
  }
}

TEST_CASE("mutual TLS accepts CA-signed peers and refuses a self-signed one") {
  MutualTlsFiles files;
  auto a = context(files.a());
  auto b = context(files.b());
  auto rogue = context(files.rogue());

  SUBCASE("two CA-signed nodes") {
    auto client = session(a, TlsSession::Role::client);
    auto server = session(b, TlsSession::Role::server);
    Exchange ex = shuttle(*client, *server);
    REQUIRE(ex.client_status.ok());
    REQUIRE(ex.server_status.ok());
    CHECK(server->handshake_complete());
    CHECK(client->exporter() == server->exporter());
    REQUIRE(client->send("signed").ok());
    CHECK(shuttle(*client, *server).server_got == "signed");
  }
  SUBCASE("the server refuses a self-signed client, and the client hears why") {
    auto client = session(rogue, TlsSession::Role::client);
    auto server = session(b, TlsSession::Role::server);
    Exchange ex = shuttle(*client, *server);
    CHECK(ex.server_status.code() == absl::StatusCode::kPermissionDenied);
    CHECK(contains(ex.server_status, "CERTIFICATE_VERIFY_FAILED"));
    CHECK_FALSE(server->handshake_complete());
    // TLS 1.3 clients finish before the server has judged them; the alert follows.
    CHECK(ex.client_status.code() == absl::StatusCode::kPermissionDenied);
  }
  SUBCASE("a client refuses a self-signed server") {
    auto client = session(a, TlsSession::Role::client);
    auto server = session(rogue, TlsSession::Role::server);
    Exchange ex = shuttle(*client, *server);
    CHECK(ex.client_status.code() == absl::StatusCode::kPermissionDenied);
    CHECK(contains(ex.client_status, "peer certificate:"));
    CHECK_FALSE(client->handshake_complete());
    CHECK_FALSE(server->handshake_complete());
  }
  SUBCASE("an ephemeral client is refused too") {
    auto client = session(context(), TlsSession::Role::client);
    auto server = session(b, TlsSession::Role::server);
    CHECK(shuttle(*client, *server).server_status.code() == absl::StatusCode::kPermissionDenied);
  }
}

TEST_CASE("peer_names() lists the subjectAltNames of the peer's certificate, both ways") {
  MutualTlsFiles files;
  auto client = session(context(files.a()), TlsSession::Role::client);
  auto server = session(context(files.b()), TlsSession::Role::server);
  CHECK(server->peer_names().empty());  // nothing before the handshake
  REQUIRE(shuttle(*client, *server).server_status.ok());
  using Names = std::vector<std::string>;
  CHECK(server->peer_names() == Names{"URI:snow://a@127.0.0.1", "DNS:a.example", "IP:127.0.0.1", "IP:::1"});
  CHECK(client->peer_names() == Names{"URI:snow://b@127.0.0.1"});

  SUBCASE("a server the client refused: its names are never read") {
    auto eph_client = session(context(files.a()), TlsSession::Role::client);
    auto eph_server = session(context(), TlsSession::Role::server);
    Exchange ex = shuttle(*eph_client, *eph_server);
    // The mutual client refuses the self-signed server; its names were never vouched for.
    CHECK_FALSE(ex.client_status.ok());
    CHECK(eph_client->peer_names().empty());
  }
  SUBCASE("ephemeral to ephemeral: a certificate, but no SANs") {
    auto c = session(context(), TlsSession::Role::client);
    auto s = session(context(), TlsSession::Role::server);
    REQUIRE(shuttle(*c, *s).client_status.ok());
    CHECK(c->peer_names().empty());
    CHECK(s->peer_names().empty());  // the server asked for no client certificate
  }
}

TEST_CASE("mutual TLS with bad files fails at start with a clear error") {
  MutualTlsFiles files;
  const std::string missing = files.dir.file("no-such.pem");
  const std::string garbage = files.dir.file("garbage.pem");
  std::ofstream(garbage) << "this is not PEM\n";

  auto error_of = [](const TlsOptions& o) {
    auto ctx = TlsContext::create(o);
    REQUIRE_FALSE(ctx.ok());
    CHECK(ctx.status().code() == absl::StatusCode::kInvalidArgument);
    return std::string(ctx.status().message());
  };

  TlsOptions o = files.a();
  o.cert_file = missing;
  std::string msg = error_of(o);
  CHECK(contains(msg, "cert_file"));
  CHECK(contains(msg, missing));
  CHECK(contains(msg, "No such file or directory"));

  o = files.a();
  o.key_file = "";
  msg = error_of(o);
  CHECK(contains(msg, "key_file"));
  CHECK(contains(msg, "empty"));

  o = files.a();
  o.ca_file = garbage;
  msg = error_of(o);
  CHECK(contains(msg, "ca_file"));
  CHECK(contains(msg, "no valid PEM certificate"));

  o = files.a();
  o.key_file = garbage;
  CHECK(contains(error_of(o), "no valid PEM private key"));

  o = files.a();
  o.key_file = files.b_key;  // a real key, but not the certificate's
  msg = error_of(o);
  CHECK(contains(msg, "does not match"));

  o = files.a();
  o.cert_file = files.dir.file("");  // a directory
  CHECK(contains(error_of(o), "cert_file"));

  CHECK(TlsContext::create(files.a()).ok());
}
}  // TEST_SUITE
