#include "archive/s3/s3_archive.h"

#include <openssl/evp.h>

#include <algorithm>
#include <iterator>

#include "archive/s3/list_objects_xml.h"
#include "aws/encoding.h"
#include "codec/base64.h"
#include "codec/gzip.h"
#include "codec/xml.h"

namespace stockpipe {
namespace {

// Virtual-hosted style puts the bucket in front of the endpoint's host.
aws::ClientOptions Addressed(aws::ClientOptions client, const std::string& bucket,
                             bool path_style) {
  while (client.endpoint.ends_with('/')) client.endpoint.pop_back();
  if (!path_style) {
    const auto scheme = client.endpoint.find("://");
    const auto host = scheme == std::string::npos ? 0 : scheme + 3;
    client.endpoint.insert(host, bucket + ".");
  }
  return client;
}

std::string Md5Base64(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &size, EVP_md5(), nullptr);
  return Base64Encode(std::string_view(reinterpret_cast<const char*>(digest), size));
}

// "NoSuchKey: The specified key does not exist. (HTTP 404)" from an S3 error answer.
std::string Explain(const aws::HttpResponse& response) {
  std::string code = aws::ErrorCode(response.body);
  std::string text = code.empty() ? "error" : code;
  if (const auto message = XmlText(response.body, "Message")) text += ": " + *message;
  text += " (HTTP " + std::to_string(response.status) + ")";
  if (code == "NoSuchBucket") {
    text +=
        ": the bucket does not exist: create it (Terraform, infra/s3.tf, or `aws s3 mb "
        "s3://BUCKET`), or set RAW_DATA_BUCKET to the bucket that holds the archive";
  }
  return text;
}

}  // namespace

bool PathStyleFor(const aws::ClientOptions& client, std::string_view bucket) {
  return !client.endpoint.ends_with(".amazonaws.com") || bucket.find('.') != std::string_view::npos;
}

S3Archive::S3Archive(S3ArchiveOptions options)
    : bucket_(std::move(options.bucket)),
      path_style_(options.path_style),
      client_(Addressed(std::move(options.client), bucket_, path_style_)) {}

std::string S3Archive::PathOf(std::string_view key) const {
  std::string path = path_style_ ? "/" + aws::UriEncode(bucket_) : "";
  if (!key.empty() || !path_style_) path += "/" + aws::UriEncode(key, true);
  return path;
}

std::string S3Archive::Describe(std::string_view key) const {
  return "s3://" + bucket_ + "/" + std::string(key);
}

Status S3Archive::CreateBucketIfMissing() {
  aws::HttpRequest head;
  head.method = "HEAD";
  head.path = PathOf("");
  auto found = client_.Send("HeadBucket", head);
  if (!found) return found.status();
  if (found->status == 200) return Status::Ok();
  if (found->status == 403) {
    return Status::Error("S3 bucket " + bucket_ +
                         " exists but these credentials may not use it (HTTP 403): choose "
                         "another RAW_DATA_BUCKET or grant access");
  }
  if (found->status != 404) {
    return Status::Error("S3 HeadBucket " + bucket_ + ": HTTP " + std::to_string(found->status) +
                         (found->status == 301 ? " (the bucket is in another region)" : ""));
  }

  aws::HttpRequest create;
  create.method = "PUT";
  create.path = PathOf("");
  const std::string& region = client_.options().region;
  // us-east-1 is S3's default location and must not be named; every other region must be.
  if (!region.empty() && region != "us-east-1") {
    create.body =
        "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        "<LocationConstraint>" +
        region + "</LocationConstraint></CreateBucketConfiguration>";
    create.headers.emplace_back("Content-Type", "application/xml");
  }
  auto created = client_.Send("CreateBucket", create);
  if (!created) return created.status();
  if (created->status == 200) return Status::Ok();
  // Another process created it between our HEAD and PUT.
  if (aws::ErrorCode(created->body) == "BucketAlreadyOwnedByYou") return Status::Ok();
  if (auto again = client_.Send("HeadBucket", head); again && again->status == 200) {
    return Status::Ok();
  }
  return Status::Error("S3 CreateBucket " + bucket_ + ": " + Explain(*created));
}

Status S3Archive::Put(std::string_view key, std::string_view bytes) {
  if (key.empty()) return Status::Error("S3 Put: the object key is empty");
  // Write-once. A read first, because not every S3 (s3rver among them) honours If-None-Match on
  // PUT; the conditional PUT then closes the gap between read and PUT where it is honoured. A GET,
  // not a HEAD: an error answer to a HEAD has no body, so a throttled HEAD could not be told from
  // a bad request, and an existing object is read to compare anyway.
  aws::HttpRequest read;
  read.method = "GET";
  read.path = PathOf(key);
  auto found = client_.Send("GetObject", read);
  if (!found) return found.status();
  if (found->status == 200) return SameOrRefuse(key, found->body, bytes);
  if (found->status != 404 || aws::ErrorCode(found->body) == "NoSuchBucket") {
    return Status::Error("S3 GetObject " + Describe(key) + ": " + Explain(*found));
  }
  aws::HttpRequest request;
  request.method = "PUT";
  request.path = PathOf(key);
  request.headers = {{"Content-Type", "application/gzip"},
                     {"Content-MD5", Md5Base64(bytes)},
                     {"If-None-Match", "*"}};
  request.body.assign(bytes);
  auto response = client_.Send("PutObject", request);
  if (!response) return response.status();
  // 412: the key exists now (another writer, or our own PUT whose answer was lost and retried).
  if (response->status == 412) {
    auto existing = Get(key);
    if (!existing) return existing.status();
    return SameOrRefuse(key, *existing, bytes);
  }
  if (response->status != 200) {
    return Status::Error("S3 PutObject " + Describe(key) + ": " + Explain(*response));
  }
  return Status::Ok();
}

Status S3Archive::SameOrRefuse(std::string_view key, std::string_view existing,
                               std::string_view bytes) {
  // A replayed batch: the same object again (compressed alike, or by the build before an upgrade).
  if (SameGzipContent(existing, bytes)) return Status::Ok();
  return Status::Error("S3 object " + Describe(key) + " already exists with other content (" +
                       std::to_string(existing.size()) + " bytes there, " +
                       std::to_string(bytes.size()) +
                       " bytes new): refusing to replace it (a stream started over without a "
                       "new generation? see `stockpipe repair`)");
}

Result<s3::ListPage> S3Archive::ListRequest(std::vector<std::pair<std::string, std::string>> query,
                                            std::string_view prefix) {
  aws::HttpRequest request;
  request.method = "GET";
  request.path = PathOf("");
  request.query = {{"list-type", "2"}};
  if (!prefix.empty()) request.query.emplace_back("prefix", std::string(prefix));
  std::move(query.begin(), query.end(), std::back_inserter(request.query));
  auto response = client_.Send("ListObjectsV2", request);
  if (!response) return response.status();
  if (response->status != 200) {
    return Status::Error("S3 ListObjectsV2 " + Describe(prefix) + ": " + Explain(*response));
  }
  auto page = s3::ParseListObjectsV2(response->body);
  if (!page) return Status::Error("S3 bucket " + bucket_ + ": " + page.error());
  return page;
}

Result<std::vector<ObjectInfo>> S3Archive::List(std::string_view prefix) {
  std::vector<ObjectInfo> objects;
  std::string token;
  do {
    std::vector<std::pair<std::string, std::string>> query;
    if (!token.empty()) query.emplace_back("continuation-token", token);
    auto page = ListRequest(std::move(query), prefix);
    if (!page) return page.status();
    std::move(page->objects.begin(), page->objects.end(), std::back_inserter(objects));
    token = page->truncated ? std::move(page->next_token) : std::string();
  } while (!token.empty());
  // S3 already answers in key order; sorting makes that a promise of this class, not of a peer.
  std::sort(objects.begin(), objects.end(),
            [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
  return objects;
}

Result<std::vector<ObjectInfo>> S3Archive::ListAfter(std::string_view prefix,
                                                     std::string_view start_after, int max_keys) {
  std::vector<std::pair<std::string, std::string>> query = {
      {"max-keys", std::to_string(std::clamp(max_keys, 1, 1000))}};
  if (!start_after.empty()) query.emplace_back("start-after", std::string(start_after));
  auto page = ListRequest(std::move(query), prefix);
  if (!page) return page.status();
  std::sort(page->objects.begin(), page->objects.end(),
            [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
  return std::move(page->objects);
}

Result<std::string> S3Archive::Get(std::string_view key) {
  if (key.empty()) return Status::Error("S3 Get: the object key is empty");
  aws::HttpRequest request;
  request.method = "GET";
  request.path = PathOf(key);
  auto response = client_.Send("GetObject", request);
  if (!response) return response.status();
  if (response->status == 404 && aws::ErrorCode(response->body) != "NoSuchBucket") {
    return Status::Error("S3 object " + Describe(key) + " does not exist");
  }
  if (response->status != 200) {
    return Status::Error("S3 GetObject " + Describe(key) + ": " + Explain(*response));
  }
  return std::move(response->body);
}

}  // namespace stockpipe
