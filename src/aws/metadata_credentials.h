// Credentials from the metadata endpoints of AWS compute, plain HTTP through aws::Client
// (unsigned).
//
// Container (ECS task roles, EKS Pod Identity): GET `http://169.254.170.2<RELATIVE_URI>` for
// `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`, or `AWS_CONTAINER_CREDENTIALS_FULL_URI`, which must
// be https, or http to a loopback address, 169.254.170.2, 169.254.170.23 or [fd00:ec2::23] (the
// SDKs' rule: a token must not travel in clear to anywhere else). The `Authorization` header is
// the content of `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE` (read on every fetch: EKS rotates it),
// else `AWS_CONTAINER_AUTHORIZATION_TOKEN`. The answer: JSON `AccessKeyId`, `SecretAccessKey`,
// `Token`, `Expiration`.
//
// EC2 instance metadata, IMDSv2 only: PUT `/latest/api/token` (header
// `X-aws-ec2-metadata-token-ttl-seconds`), then with `X-aws-ec2-metadata-token` GET
// `/latest/meta-data/iam/security-credentials/` (the role name) and that path plus the role (the
// same JSON, with `Code: Success`). The endpoint is `AWS_EC2_METADATA_SERVICE_ENDPOINT` (default
// http://169.254.169.254, or http://[fd00:ec2::254] when `AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE`
// is IPv6); `AWS_EC2_METADATA_DISABLED=true` turns it off. Timeouts are short and there is one
// attempt, as in the AWS CLI (1 s): a laptop without IMDS must not wait.
#pragma once
#include <string>

#include "aws/credentials.h"
#include "core/result.h"

namespace stockpipe::aws {

struct MetadataTimeouts {
  long connect_ms = 1'000;
  long request_ms = 1'000;
  int attempts = 1;
};

// The credentials JSON of both endpoints; `what` names the source in errors.
Result<Credentials> ParseMetadataCredentials(const std::string& json, const std::string& what);

// Whether `uri` may carry a container authorization token (see above); the error says why not.
Status CheckContainerUri(const std::string& uri);

class ContainerProvider : public CredentialProvider {
 public:
  explicit ContainerProvider(GetEnv getenv, MetadataTimeouts timeouts = {.connect_ms = 2'000,
                                                                         .request_ms = 2'000,
                                                                         .attempts = 3})
      : getenv_(std::move(getenv)), timeouts_(timeouts) {}
  std::string Name() const override { return "container endpoint"; }
  Result<Credentials> Fetch() override;

 private:
  GetEnv getenv_;
  MetadataTimeouts timeouts_;
};

class ImdsProvider : public CredentialProvider {
 public:
  explicit ImdsProvider(GetEnv getenv, MetadataTimeouts timeouts = {})
      : getenv_(std::move(getenv)), timeouts_(timeouts) {}
  std::string Name() const override { return "EC2 instance metadata (IMDSv2)"; }
  Result<Credentials> Fetch() override;

 private:
  GetEnv getenv_;
  MetadataTimeouts timeouts_;
};

}  // namespace stockpipe::aws
