// The S3 RawArchive: one object per key in one bucket, through the signed `aws::Client`.
//
// Put is write-once, like the local archive's: GET Object first (an S3 that ignores
// If-None-Match, like s3rver, would otherwise overwrite), then one PUT Object with
// `If-None-Match: *` (S3 makes it atomic), Content-MD5 and the real `x-amz-content-sha256` so S3
// refuses a body damaged on the way; it returns once S3 answered 200, i.e. once the object is
// durable. When the key exists (GET 200, or 412 to the conditional PUT) the bytes there decide:
// identical bytes are a replayed batch and succeed, different bytes are an error naming the key,
// and the object stays as it was. Keys keep the local archive's layout
// (`raw/dt=YYYY-MM-DD/shard-...jsonl.gz`).
// List pages through ListObjectsV2 and returns keys in key order; Get of a missing key is an
// error naming the key.
//
// Addressing. `path_style` (the default) sends `<endpoint>/<bucket>/<key>`: what emulators and
// custom endpoints understand. Otherwise the bucket becomes the first host label
// (`https://<bucket>.s3.<region>.amazonaws.com/<key>`), the style AWS recommends.
// `PathStyleFor` picks: path style for an endpoint that is not AWS's own (an override) or a bucket
// name with a dot (a dotted host label breaks the TLS wildcard certificate), virtual-hosted else.
//
// Thread-safe: the client is.
#pragma once

#include <string>
#include <vector>

#include "archive/s3/list_objects_xml.h"
#include "aws/client.h"
#include "core/raw_archive.h"

namespace stockpipe {

struct S3ArchiveOptions {
  aws::ClientOptions client;  // service kS3
  std::string bucket;
  bool path_style = true;
};

bool PathStyleFor(const aws::ClientOptions& client, std::string_view bucket);

class S3Archive final : public RawArchive {
 public:
  explicit S3Archive(S3ArchiveOptions options);

  // Creates the bucket unless it exists (in the client's region); an existing bucket that this
  // account cannot access is an error.
  Status CreateBucketIfMissing();

  Status Put(std::string_view key, std::string_view bytes) override;
  Result<std::vector<ObjectInfo>> List(std::string_view prefix) override;
  Result<std::string> Get(std::string_view key) override;

  // One ListObjectsV2 page of keys under `prefix` after `start_after` (exclusive; empty: from
  // the first), at most `max_keys` (S3 caps a page at 1,000): for buckets too big to list at once.
  Result<std::vector<ObjectInfo>> ListAfter(std::string_view prefix, std::string_view start_after,
                                            int max_keys);

  aws::Client& client() { return client_; }
  const std::string& bucket() const { return bucket_; }

 private:
  // The request path of `key` (empty: the bucket itself), URI-encoded per segment.
  std::string PathOf(std::string_view key) const;
  std::string Describe(std::string_view key) const;
  // One ListObjectsV2 request with `query` added to list-type and prefix.
  Result<s3::ListPage> ListRequest(std::vector<std::pair<std::string, std::string>> query,
                                   std::string_view prefix);
  // `key` holds `existing`: ok when that is `bytes`, else an error naming it.
  Status SameOrRefuse(std::string_view key, std::string_view existing, std::string_view bytes);

  std::string bucket_;
  bool path_style_;
  aws::Client client_;
};

}  // namespace stockpipe
