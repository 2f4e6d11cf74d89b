#include "aws/profile_credentials.h"

#include <charconv>
#include <set>

#include "aws/client.h"
#include "aws/credential_process.h"
#include "aws/metadata_credentials.h"
#include "aws/sso_credentials.h"
#include "aws/sts_credentials.h"

namespace stockpipe::aws {
namespace {

using ProviderResult = Result<std::unique_ptr<CredentialProvider>>;

std::shared_ptr<CredentialChain> ChainOf(std::unique_ptr<CredentialProvider> provider,
                                         const Clock& clock) {
  std::vector<std::unique_ptr<CredentialProvider>> providers;
  providers.push_back(std::move(provider));
  return std::make_shared<CredentialChain>(std::move(providers), clock);
}

// The region STS is called in: the environment's, else this profile's.
std::string RegionOf(const Settings& settings, const GetEnv& getenv) {
  std::string region = EnvOr(getenv, "AWS_REGION", EnvOr(getenv, "AWS_DEFAULT_REGION"));
  return region.empty() ? Setting(settings, "region") : region;
}

ProviderResult Resolve(const SharedConfig& config, const std::string& name,
                       const ProfileContext& context, std::set<std::string> visited);

ProviderResult StaticKeys(const Settings& settings, const std::string& name) {
  const std::string key = Setting(settings, "aws_access_key_id");
  const std::string secret = Setting(settings, "aws_secret_access_key");
  if (key.empty() || secret.empty()) {
    return Status::Error("profile " + name + " lacks aws_access_key_id or aws_secret_access_key");
  }
  return std::unique_ptr<CredentialProvider>(std::make_unique<StaticProvider>(Credentials{
      key, secret, Setting(settings, "aws_session_token"), "profile " + name, std::nullopt}));
}

ProviderResult AssumeRole(const SharedConfig& config, const std::string& name,
                          const Settings& settings, const ProfileContext& context,
                          std::set<std::string> visited) {
  const std::string role_arn = Setting(settings, "role_arn");
  const std::string session_name = Setting(settings, "role_session_name");
  const std::string region = RegionOf(settings, context.getenv);
  const std::string token_file = Setting(settings, "web_identity_token_file");
  const std::string source_profile = Setting(settings, "source_profile");
  const std::string credential_source = Setting(settings, "credential_source");
  if (!token_file.empty() && source_profile.empty() && credential_source.empty()) {
    WebIdentityConfig web;
    web.options = {role_arn, token_file, session_name, "profile " + name + " (web identity)"};
    web.sts = StsEndpointFrom(context.getenv, region);
    return std::unique_ptr<CredentialProvider>(std::make_unique<WebIdentityProvider>(web));
  }

  std::unique_ptr<CredentialProvider> source;
  if (!source_profile.empty() && !credential_source.empty()) {
    return Status::Error("profile " + name + " sets both source_profile and credential_source");
  }
  if (!source_profile.empty()) {
    visited.insert(name);
    const Settings* source_settings = config.Profile(source_profile);
    if (source_profile == name && source_settings &&
        !Setting(*source_settings, "aws_access_key_id").empty()) {
      // A profile may assume a role with its own static keys.
      auto keys = StaticKeys(*source_settings, name);
      if (!keys) return keys.status();
      source = std::move(*keys);
    } else if (visited.count(source_profile)) {
      return Status::Error("profile " + name + ": source_profile " + source_profile +
                           " leads back to a profile already in the chain (a loop)");
    } else {
      auto resolved = Resolve(config, source_profile, context, visited);
      if (!resolved) {
        return Status::Error("profile " + name + ": source_profile " + source_profile + ": " +
                             resolved.error());
      }
      source = std::move(*resolved);
    }
  } else if (credential_source == "Environment") {
    source = std::make_unique<EnvironmentProvider>(context.getenv);
  } else if (credential_source == "Ec2InstanceMetadata") {
    source = std::make_unique<ImdsProvider>(context.getenv);
  } else if (credential_source == "EcsContainer") {
    source = std::make_unique<ContainerProvider>(context.getenv);
  } else if (!credential_source.empty()) {
    return Status::Error("profile " + name + ": credential_source " + credential_source +
                         " is not Environment, Ec2InstanceMetadata or EcsContainer");
  } else {
    return Status::Error("profile " + name +
                         " has role_arn but no source_profile, credential_source or "
                         "web_identity_token_file");
  }

  AssumeRoleOptions options;
  options.role_arn = role_arn;
  options.role_session_name = session_name;
  options.external_id = Setting(settings, "external_id");
  options.name = "profile " + name + " (assume role " + role_arn + ")";
  if (const std::string duration = Setting(settings, "duration_seconds"); !duration.empty()) {
    const auto [end, error] = std::from_chars(duration.data(), duration.data() + duration.size(),
                                              options.duration_seconds);
    if (error != std::errc() || end != duration.data() + duration.size() ||
        options.duration_seconds < 900 || options.duration_seconds > 43'200) {
      return Status::Error("profile " + name +
                           ": duration_seconds must be a number of seconds "
                           "from 900 to 43200, got '" +
                           duration + "'");
    }
  }
  return std::unique_ptr<CredentialProvider>(std::make_unique<AssumeRoleProvider>(
      std::move(options), ChainOf(std::move(source), context.clock),
      StsEndpointFrom(context.getenv, region)));
}

ProviderResult Sso(const SharedConfig& config, const std::string& name, const Settings& settings,
                   const ProfileContext& context) {
  SsoOptions options;
  options.profile = name;
  options.session_name = Setting(settings, "sso_session");
  options.start_url = Setting(settings, "sso_start_url");
  options.region = Setting(settings, "sso_region");
  if (!options.session_name.empty()) {
    const Settings* session = config.SsoSession(options.session_name);
    if (!session) {
      return Status::Error("profile " + name + ": sso_session " + options.session_name +
                           " has no [sso-session " + options.session_name + "] in " +
                           config.config_path);
    }
    options.start_url = Setting(*session, "sso_start_url");
    options.region = Setting(*session, "sso_region");
  }
  options.account_id = Setting(settings, "sso_account_id");
  options.role_name = Setting(settings, "sso_role_name");
  const std::string home = EnvOr(context.getenv, "HOME");
  options.cache_dir = (home.empty() ? std::string("~") : home) + "/.aws/sso/cache";
  options.endpoint = EndpointFor(kSso, options.region, context.getenv);
  options.ca_bundle = EnvOr(context.getenv, "AWS_CA_BUNDLE");
  return std::unique_ptr<CredentialProvider>(
      std::make_unique<SsoProvider>(std::move(options), context.clock));
}

ProviderResult Resolve(const SharedConfig& config, const std::string& name,
                       const ProfileContext& context, std::set<std::string> visited) {
  const Settings* settings = config.Profile(name);
  if (!settings) return Status::Error("no profile " + name + " in " + config.Where());
  if (!Setting(*settings, "role_arn").empty()) {
    return AssumeRole(config, name, *settings, context, std::move(visited));
  }
  if (!Setting(*settings, "sso_session").empty() || !Setting(*settings, "sso_start_url").empty()) {
    return Sso(config, name, *settings, context);
  }
  if (!Setting(*settings, "aws_access_key_id").empty() ||
      !Setting(*settings, "aws_secret_access_key").empty()) {
    return StaticKeys(*settings, name);
  }
  if (const std::string command = Setting(*settings, "credential_process"); !command.empty()) {
    return std::unique_ptr<CredentialProvider>(
        std::make_unique<ProcessProvider>(name, command, context.process_timeout));
  }
  return Status::Error("profile " + name + " in " + config.Where() +
                       " has no credentials (keys, role_arn, sso_session or credential_process)");
}

}  // namespace

Result<std::unique_ptr<CredentialProvider>> ResolveProfile(const SharedConfig& config,
                                                           const std::string& name,
                                                           const ProfileContext& context) {
  return Resolve(config, name, context, {});
}

ProfileProvider::ProfileProvider(GetEnv getenv, Clock clock)
    : ProfileProvider(ProfileContext{std::move(getenv), std::move(clock)}) {}

ProfileProvider::ProfileProvider(ProfileContext context)
    : context_(std::move(context)), profile_(ProfileName(context_.getenv)) {}

Result<Credentials> ProfileProvider::Fetch() {
  if (!resolved_) {
    auto config = LoadSharedConfig(context_.getenv);
    if (!config) return config.status();
    auto provider = ResolveProfile(*config, profile_, context_);
    if (!provider) return provider.status();
    resolved_ = std::move(*provider);
  }
  return resolved_->Fetch();
}

}  // namespace stockpipe::aws
