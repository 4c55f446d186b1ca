"""Typed configuration: one TOML file plus REGISTRY_* environment overrides, loaded once
at start-up and passed down. Unknown keys and bad values fail with a clear message."""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class ConfigError(Exception):
    pass


@dataclass(frozen=True)
class DatabaseConfig:
    url: str = ""  # empty: the embedded PostgreSQL under paths.var
    replica_url: str = ""
    pool_min: int = 2
    pool_max: int = 20


@dataclass(frozen=True)
class RegistryConfig:
    roid_suffix: str = "REG"
    auth_info_key: str = ""  # base64 of 32 bytes; or a key file below
    auth_info_key_file: str = ""  # default: <var>/authinfo.key, created on first use
    operator_name: str = "Example Registry Operator"  # heads the consoles' pages
    lifecycle_interval_seconds: float = 60.0


@dataclass(frozen=True)
class EppConfig:
    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = 7000
    cert: str = "certs/dev/server.pem"
    key: str = "certs/dev/server.key"
    ca: str = "certs/dev/ca.pem"
    # RFC 5734 section 4: the data unit length is a 32-bit count; we bound it far lower.
    max_frame_bytes: int = 1 << 20
    # RFC 5734 section 2 leaves idle/handshake limits to server policy.
    handshake_timeout: float = 10.0
    idle_timeout: float = 600.0
    # a peer that stops reading its responses is disconnected after this long
    write_timeout: float = 30.0
    max_session_seconds: float = 86400.0
    # RFC 5730 section 2.9.1.1: a server MAY limit failed login attempts (then 2501 and close).
    max_failed_logins: int = 3
    max_sessions_per_registrar: int = 20  # logged-in sessions of one registrar (the node, or all nodes); 0 = no cap
    shutdown_grace: float = 10.0
    # PROXY protocol v1/v2 (HAProxy) before the TLS handshake: the header names the client's address;
    # it must arrive within handshake_timeout. Reachable by the proxy only: the header is trusted.
    proxy_protocol: bool = False
    # Limits below hold for the whole node (all workers), and for every node with a [redis] url
    # (RFC 5730 leaves rates and caps to server policy).
    max_connections_per_ip: int = 0  # concurrent TLS connections from one address (IPv6: one /64); 0 = no cap
    command_rate: float = 0.0  # commands per second per registrar (token bucket); 0 = unlimited
    command_burst: int = 50  # commands a registrar may send at once before the rate applies
    command_rate_action: str = "delay"  # "delay": hold the command until a token is due; "refuse": 2400
    command_rate_max_delay: float = 5.0  # "delay" answers 2400 rather than hold a command longer than this


@dataclass(frozen=True)
class WhoisConfig:
    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = 4343
    max_query_bytes: int = 512
    read_timeout: float = 10.0
    rate_per_second: float = 10.0
    burst: int = 30
    max_connections_per_ip: int = 8
    allowlist: tuple[str, ...] = ()
    # RFC 3912 sets no limits; a server answers and closes. We bound concurrent answers too:
    # per worker process (it protects that process's memory and loop), unlike the per-IP limits.
    max_connections: int = 512
    # PROXY protocol v1/v2 (HAProxy) header first, within read_timeout; trusted, so proxy-only.
    proxy_protocol: bool = False


@dataclass(frozen=True)
class RdapConfig:
    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = 8080
    base_url: str = "http://127.0.0.1:8080/"
    rate_per_second: float = 20.0
    burst: int = 60
    max_connections_per_ip: int = 16
    allowlist: tuple[str, ...] = ()
    search_limit: int = 100
    port43: str = "whois.nic.{tld}"  # WHOIS server named in `port43` ({tld} replaced); "" omits it
    terms_url: str = ""  # terms of service; "" points at <base_url>help
    contact_uri: str = ""  # web form offered when a contact's e-mail is withheld
    idle_timeout: float = 30.0  # keep-alive connections idle longer than this are closed
    # PROXY protocol v1/v2 (HAProxy, TCP or HTTP mode) header first, within idle_timeout; proxy-only.
    proxy_protocol: bool = False


@dataclass(frozen=True)
class MetricsConfig:
    """The operators' listener: Prometheus metrics, /healthz and /readyz (plain HTTP; keep it private)."""

    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = 9464
    path: str = "/metrics"
    readiness_timeout: float = 2.0  # /readyz answers 503 when the database does not answer within this


@dataclass(frozen=True)
class WorkersConfig:
    count: int = 0  # worker processes; 0 = one per CPU core (`registry serve --workers N` overrides)
    reuse_port: bool = True  # one SO_REUSEPORT listener per worker where the OS has it, else one shared socket
    restart_delay_max: float = 30.0  # a worker that keeps dying is restarted after at most this long
    stop_timeout: float = 30.0  # after SIGTERM, workers still running this long later are killed


@dataclass(frozen=True)
class RedisConfig:
    """Share the limits (rates, connection and session caps) across nodes. Off: each node's
    workers share them through a table in memory. While Redis is unreachable a node counts
    on its own (and says so in the log and /readyz); it never refuses traffic for that."""

    url: str = ""  # redis://[:password@]host:6379/0, rediss:// (TLS) or unix:///path; "" = off
    key_prefix: str = "registry:limits:"  # every key the registry writes starts with this
    connect_timeout: float = 0.5  # seconds to connect
    command_timeout: float = 0.25  # seconds one limit check may take before the node counts on its own
    lease_ttl: float = 30.0  # a dead node's connections and sessions stop counting after this long
    retry_max: float = 30.0  # while unreachable, Redis is retried after 0.5 s, 1 s, 2 s ... at most this


@dataclass(frozen=True)
class DnsConfig:
    """The hidden primary: a Knot DNS process (Debian package knot) started by `registry serve`
    before the workers and stopped after them. It serves one zone per TLD, takes the
    publisher's RFC 2136 UPDATEs (TSIG), signs (ECDSA P-256, NSEC3 without salt) and NOTIFYs
    the secondaries, which transfer with the transfer key. Durations in seconds."""

    enabled: bool = False  # `make run` turns it on; without knotd, serve warns and runs the rest
    host: str = "127.0.0.1"
    port: int = 5353
    directory: str = ""  # knot.conf, journal, DNSSEC keys, log; "" = <paths.var>/dns/knot
    knotd: str = "knotd"  # program names (also looked up in /usr/sbin) or paths
    knotc: str = "knotc"
    keymgr: str = "keymgr"
    update_key_name: str = "registry-publisher."
    update_key_file: str = ""  # base64 secret, 0600; created if missing; "" = <paths.var>/dns/publisher.tsig
    transfer_key_name: str = "registry-transfer."
    transfer_key_file: str = ""  # "" = <paths.var>/dns/transfer.tsig
    secondaries: tuple[str, ...] = ()  # "address@port" of each secondary: NOTIFY, transfers, the catalog
    nameservers: tuple[str, ...] = ("ns1.example.net.", "ns2.example.net.")  # apex NS of a new TLD zone
    catalog_zone: str = "catalog.invalid."  # RFC 9432 catalog of the TLD zones, for the secondaries
    ksk_lifetime: int = 0  # 0: the KSK is rolled only when the operator says so
    zsk_lifetime: int = 2592000
    propagation_delay: int = 3600  # primary to every public secondary, worst case
    start_timeout: float = 15.0
    stop_grace: float = 10.0
    log_max_bytes: int = 10485760  # knot.log is rotated at this size (knot.log.1 ... newest first); 0 = never
    log_keep: int = 3  # rotated knot.log files kept; Knot's warnings and errors also go to the registry log
    tld_poll_interval: float = 5.0  # seconds between the supervisor's looks for TLDs added at run time
    # The publisher (one leader per TLD, in the worker that runs the periodic jobs):
    batch_size: int = 500  # owners per batch
    batch_wait: float = 0.05  # seconds a wake-up waits for more commits to gather
    poll_interval: float = 3.0  # seconds between looks at the change log when no NOTIFY arrives
    attempts: int = 3  # sends of a failing batch before it is split in halves (single owners are parked)
    backoff: float = 0.2  # seconds before the second attempt, doubling
    # The delete guard is zone policy, kept per TLD in the database, not here:
    # `registry dns set TLD max_delete_share=0.05 delete_floor=10` (those are the defaults).
    # The propagation probe (rfc2136 writer only): after each batch, the SOA serial the primary
    # then serves is awaited on every secondary (on the primary itself without secondaries).
    probe_timeout: float = 900.0  # seconds a secondary may take before the batch counts as not served there
    probe_interval: float = 1.0  # seconds between SOA queries to a secondary while waiting
    probe_queue: int = 1000  # publications being probed at most; more are not measured (logged, counted)
    probe_history: int = 10000  # propagation results kept per TLD for `registry dns status`
    reconcile_interval: float = 86400.0  # seconds between the leader's reconciles of a TLD (AXFR); 0 = off
    # Where the publisher writes: rfc2136 (UPDATEs to the Knot primary above), or a provider
    # hosting the TLD zones: route53 (Amazon Route 53) or cloudflare.
    writer: str = "rfc2136"
    route53_zones: tuple[str, ...] = ()  # "tld=HOSTED_ZONE_ID" for each TLD
    aws_region: str = "us-east-1"
    aws_endpoint_url: str = ""  # "" = Route 53 itself; a private endpoint (or moto) otherwise
    aws_profile: str = ""  # "" = the default AWS credential chain (environment, ~/.aws, instance role)
    route53_wait: bool = False  # wait until each change is INSYNC at every Route 53 server
    route53_wait_timeout: float = 300.0
    cloudflare_zones: tuple[str, ...] = ()  # "tld=ZONE_ID" for each TLD
    cloudflare_token_file: str = ""  # API token with DNS edit on those zones, mode 0600
    cloudflare_base_url: str = ""  # "" = Cloudflare's public API
    cloudflare_batch_limit: int = 200  # operations per batch: 200 on the Free plan, 3,500 on the others


@dataclass(frozen=True)
class AdminConfig:
    """The registry staff's console (protocols/web/admin.py). Off unless enabled (`make run`
    turns it on); in production it sits behind the TLS terminator on its own host name."""

    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = 8081
    public_url: str = "http://localhost:8081"  # the origin browsers use: passkeys are bound to it
    # single sign-on for the registry's staff through the registry's OpenID Connect provider
    # (empty issuer: off); the client secret is read from a file, never written in the config
    sso_issuer: str = ""
    sso_client_id: str = ""
    sso_client_secret_file: str = ""
    sso_scopes: str = "openid email"


@dataclass(frozen=True)
class ConsoleConfig:
    """The registrars' console and JSON API (protocols/web/registrar.py), and what both web
    apps share: the name authenticator apps show, and the request body bound."""

    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = 8082
    public_url: str = "http://localhost:8082"  # the origin browsers use: passkeys are bound to it
    # WebAuthn relying party id: the public host name, or a domain above it shared by both consoles
    # ("localhost" in development: passkeys cannot be bound to an IP address such as 127.0.0.1)
    rp_id: str = "localhost"
    issuer: str = "Registry"  # shown by authenticator apps beside the login
    max_body_bytes: int = 1048576  # forms and uploads larger than this are refused (413)
    hsts: bool = False  # send Strict-Transport-Security (only behind TLS)
    # single sign-on, both consoles (the registry's provider is in [admin], registrars' own are set
    # with `registry registrar sso`): acr values that count as a second factor given at the provider
    # (amr is read as RFC 8176 says), and plain-HTTP providers for development and tests only
    sso_accepted_acr: tuple[str, ...] = ()
    sso_allow_http: bool = False
    # each /sso/start and /sso/callback writes rows and may call the provider: per client address
    # (IPv4, or IPv6 /64) a token bucket, this process's count (OWASP ASVS 2.2.1: anti-automation)
    sso_rate_per_second: float = 0.2
    sso_burst: int = 20


@dataclass(frozen=True)
class AuditConfig:
    """The history's hash chains are checked by `registry audit verify`; their heads are
    signed into a checkpoint (Ed25519) by `registry serve` every checkpoint_interval seconds."""

    signing_key_file: str = ""  # base64 of the 32-byte private key, mode 0600; "" = <paths.var>/audit/signing.key
    trusted_keys: tuple[str, ...] = ()  # base64 public keys of earlier signing keys (kept after a rotation)
    checkpoint_interval: float = 86400.0  # 0: no checkpoints from serve (run `registry audit checkpoint`)


@dataclass(frozen=True)
class MailConfig:
    """Email notifications through an SMTP relay (protocols.mail), and the development mail
    catcher `registry serve` starts when `catcher` names an address. Durations in seconds."""

    relay_host: str = ""  # "" = no email channel
    relay_port: int = 587
    # "starttls": RFC 3207 upgrade, required (port 587); "tls": implicit TLS, RFC 8314 (port 465);
    # "none": plain SMTP, for a relay on loopback (the development catcher) only
    tls: str = "starttls"
    ca_file: str = ""  # CA bundle the relay's certificate is checked against; "" = the system's
    username: str = ""  # AUTH (RFC 4954) when set, with the password in password_file
    password_file: str = ""
    local_hostname: str = ""  # the EHLO name; "" = this host's FQDN
    from_address: str = "Registry <noreply@registry.invalid>"
    tld_from: tuple[str, ...] = ()  # "tld=address" entries: the From of mails about that TLD's domains
    envelope_from: str = ""  # MAIL FROM, where bounces go; "" = the From's address
    dkim_key_file: str = ""  # PEM RSA (or Ed25519) private key; "" = no DKIM signature
    dkim_selector: str = ""
    dkim_domain: str = ""  # the d= domain; "" = the domain of each mail's From
    connect_timeout: float = 10.0
    # RFC 5321 section 4.5.3.2 asks clients for minutes per command; a relay that slow is retried later
    command_timeout: float = 30.0
    max_connections: int = 4  # SMTP connections open at once (sending in parallel)
    idle_reuse: float = 20.0  # a connection idle longer than this is closed, not reused
    messages_per_connection: int = 100  # then the connection is closed and a new one opened
    unsubscribe_url: str = ""  # List-Unsubscribe of the optional events ({event}, {audience} replaced); "" = none
    unsubscribe_events: tuple[str, ...] = ("domain.expiry.reminder", "registrar.balance.low")
    catcher: str = ""  # "host:port" of the development catcher (make run: 127.0.0.1:2525); "" = off
    catcher_directory: str = ""  # where it writes <timestamp>-<id>.eml; "" = <paths.var>/mail
    catcher_max_bytes: int = 10 << 20  # RFC 1870 SIZE it announces; bigger messages get 552


@dataclass(frozen=True)
class WebhooksConfig:
    """Signed webhooks (protocols.webhooks, Standard Webhooks). Durations in seconds."""

    allow_http: bool = False  # plain http:// endpoints (development only); https:// is always allowed
    # networks (CIDR) an endpoint may resolve into although private, loopback, link-local...
    allowlist: tuple[str, ...] = ()
    ca_file: str = ""  # CA bundle endpoints' certificates are checked against; "" = the system's
    connect_timeout: float = 5.0
    timeout: float = 15.0  # the whole request, connect to the last byte of the answer read
    max_response_bytes: int = 65536  # of the answer body read (for the log); the rest is dropped
    max_connections: int = 100
    max_connections_per_host: int = 4
    user_agent: str = "registry-suite-webhooks/0.1"


@dataclass(frozen=True)
class NotifyConfig:
    """The notification dispatcher: `registry serve` runs one (in the worker that runs the
    lifecycle runner), `registry notify run` more. It delivers the e-mail and webhook rows of
    the outbox (EPP poll messages need no dispatcher). Durations in seconds."""

    enabled: bool = True
    batch: int = 100  # deliveries claimed per transaction
    max_in_flight: int = 64  # deliveries under way at once per channel (e-mail, webhook), in this dispatcher
    per_target: int = 4  # at once to one endpoint or address, in this dispatcher
    lease: float = 120.0  # a claimed delivery comes back to the queue after this (a dispatcher died)
    delivery_timeout: float = 30.0  # one attempt; kept well under the lease
    poll_interval: float = 5.0  # looks at the queue this often when no NOTIFY wakes it
    retry_base: float = 30.0  # the first retry waits this long, doubling (with jitter) to retry_cap
    retry_cap: float = 21600.0
    retry_for: float = 86400.0  # then the delivery is dead-lettered (`registry notify retry ID` revives it)
    # events (and their delivery history) are kept this many days once every delivery is sent
    # or dead, then deleted by `registry serve` every hour (`registry notify prune`); 0 keeps all
    keep_days: int = 90
    # the channels to deliver: "email" and "webhook" (the built-in adapters, set up by [mail] and
    # [webhooks]), or name=module:factory (the factory takes the Config; protocols/notify/channels.py).
    # A built-in channel whose module is missing is skipped with a warning; its deliveries wait.
    channels: tuple[str, ...] = ("email", "webhook")


@dataclass(frozen=True)
class ShopConfig:
    """The storefront as a child of `registry serve` (make run): it has its own TOML file
    (storefront/settings.py) and reaches the registry over EPP like any registrar."""

    enabled: bool = False
    config: str = ""  # the shop's TOML file; default: storefront.toml in [paths] var


@dataclass(frozen=True)
class EscrowConfig:
    """Data escrow deposits (`registry rde deposit`): where they are written and the
    OpenPGP keys of the packaging (the keyring holds the agent's public key and the
    registry's signing key)."""

    output_dir: str = ""  # "" = <paths.var>/escrow
    gnupg_home: str = ""  # GNUPGHOME of the packaging, mode 0700; "" = <paths.var>/escrow/gnupg
    agent_key: str = ""  # the escrow agent's key (fingerprint or user id) the deposits are encrypted to
    signing_key: str = ""  # the registry's key (fingerprint or user id) that signs them
    passphrase_file: str = ""  # the signing key's passphrase, if it has one
    sftp_host: str = ""  # the agent's SFTP server; "" = no upload
    sftp_port: int = 22
    sftp_user: str = ""
    sftp_key_file: str = ""  # our SSH private key, mode 0600
    sftp_known_hosts: str = ""  # the agent's host key(s), known_hosts format (checked, always)
    sftp_directory: str = ""  # "" = the login directory
    sftp_timeout: float = 60.0  # seconds to connect, and per file
    interval: float = 3600.0  # seconds between serve's passes over the due deposits; 0 = none
    # ICANN's registry reporting interface: the deposit report (rdeReport) is PUT there once a
    # deposit reached the agent. report_url is the base (https://ry-api.icann.org); "" = none.
    report_url: str = ""
    report_user: str = ""  # the account, "{tld}" replaced by the TLD (ICANN's are per TLD: {tld}_ry)
    report_password_file: str = ""
    report_ca_file: str = ""  # a CA to trust besides the system's (tests, a proxy of your own)
    report_timeout: float = 60.0


@dataclass(frozen=True)
class AbuseConfig:
    """Where the public reports abuse (named in RDAP and WHOIS), the web form on the RDAP
    listener (/abuse/report) and its bounds, mail intake (`registry abuse intake-mail`, an
    MTA's pipe transport for the address) and the sponsor's response deadline."""

    email: str = "abuse@registry.example"  # the registry's abuse address (mail to it: intake-mail)
    report_url: str = "http://127.0.0.1:8080/abuse/report"  # the public form
    form_enabled: bool = True  # serve GET/POST /abuse/report on the RDAP listener
    # reports one client (IPv4 address, IPv6 /64) may post: a token bucket, for all workers/nodes
    reports_per_hour: float = 10.0
    report_burst: int = 5
    max_report_bytes: int = 16384  # the posted form's body; larger gets 413
    min_fill_seconds: float = 3.0  # a form posted sooner after it was served is a robot's
    max_form_age_seconds: float = 86400.0  # a form older than this is served again
    max_mail_bytes: int = 1 << 20  # a mail read by intake-mail; larger is refused (EX_DATAERR)
    response_hours: int = 48  # a notified sponsor's deadline; a TLD's risk policy may set its own


@dataclass(frozen=True)
class PathsConfig:
    var: str = "var"
    certs: str = "certs/dev"


@dataclass(frozen=True)
class Config:
    database: DatabaseConfig = field(default_factory=DatabaseConfig)
    registry: RegistryConfig = field(default_factory=RegistryConfig)
    epp: EppConfig = field(default_factory=EppConfig)
    whois: WhoisConfig = field(default_factory=WhoisConfig)
    rdap: RdapConfig = field(default_factory=RdapConfig)
    metrics: MetricsConfig = field(default_factory=MetricsConfig)
    workers: WorkersConfig = field(default_factory=WorkersConfig)
    redis: RedisConfig = field(default_factory=RedisConfig)
    dns: DnsConfig = field(default_factory=DnsConfig)
    audit: AuditConfig = field(default_factory=AuditConfig)
    admin: AdminConfig = field(default_factory=AdminConfig)
    console: ConsoleConfig = field(default_factory=ConsoleConfig)
    mail: MailConfig = field(default_factory=MailConfig)
    webhooks: WebhooksConfig = field(default_factory=WebhooksConfig)
    notify: NotifyConfig = field(default_factory=NotifyConfig)
    escrow: EscrowConfig = field(default_factory=EscrowConfig)
    shop: ShopConfig = field(default_factory=ShopConfig)
    abuse: AbuseConfig = field(default_factory=AbuseConfig)
    paths: PathsConfig = field(default_factory=PathsConfig)


def _coerce(section: str, f: dataclasses.Field, value: Any) -> Any:
    default: Any = f.default
    kind: Any = type(default)
    name = f"{section}.{f.name}"
    if isinstance(default, bool):
        if isinstance(value, str):
            if value.lower() not in {"1", "0", "true", "false", "yes", "no", "on", "off"}:
                raise ConfigError(f"{name}: expected true/false, got {value!r}")
            return value.lower() in {"1", "true", "yes", "on"}
        if not isinstance(value, bool):
            raise ConfigError(f"{name}: expected true/false, got {value!r}")
        return value
    if isinstance(default, tuple):
        items = value.split(",") if isinstance(value, str) else value
        if not isinstance(items, list | tuple):
            raise ConfigError(f"{name}: expected a list")
        return tuple(str(i).strip() for i in items if str(i).strip())
    try:
        result = kind(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{name}: expected {kind.__name__}, got {value!r}") from exc
    if kind in (int, float) and result < 0:
        raise ConfigError(f"{name}: must not be negative")
    return result


# keys whose value is one of a few words
CHOICES: dict[str, tuple[str, ...]] = {"epp.command_rate_action": ("delay", "refuse"),
                                       "dns.writer": ("rfc2136", "route53", "cloudflare"),
                                       "mail.tls": ("starttls", "tls", "none")}
# "tld=VALUE" entries, by what the value is
TLD_MAPS = {"dns.route53_zones": "ZONE_ID", "dns.cloudflare_zones": "ZONE_ID", "mail.tld_from": "address"}


def _checked(name: str, value: Any) -> Any:
    allowed = CHOICES.get(name)
    if allowed is not None and value not in allowed:
        raise ConfigError(f"{name}: expected one of {', '.join(allowed)}, got {value!r}")
    if name == "metrics.path" and not str(value).startswith("/"):
        raise ConfigError(f"{name}: must start with '/', got {value!r}")
    if name == "redis.url" and value and not str(value).startswith(REDIS_SCHEMES):
        raise ConfigError(f"{name}: expected {', '.join(REDIS_SCHEMES)}..., got {redacted_url(str(value))!r}")
    for entry in value if name in TLD_MAPS else ():
        tld, sep, zone = entry.partition("=")
        if not (sep and tld.strip() and zone.strip()):
            raise ConfigError(f"{name}: expected tld={TLD_MAPS[name]} entries, got {entry!r}")
    _check_notify(name, value)
    if name in POSITIVE and value <= 0:
        raise ConfigError(f"{name}: must be more than 0")
    if name == "redis.lease_ttl" and value < 3:
        raise ConfigError(f"{name}: must be at least 3 (seconds; the heartbeat runs every lease_ttl/3)")
    return value


def _check_notify(name: str, value: Any) -> None:
    """The [mail] and [webhooks] values with a shape: host:port, networks."""
    if name == "mail.catcher" and value:
        host, sep, port = str(value).rpartition(":")
        if not (sep and host and port.isdigit() and int(port) < 65536):
            raise ConfigError(f"{name}: expected host:port, got {value!r}")
    for entry in value if name == "webhooks.allowlist" else ():
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError as exc:
            raise ConfigError(f"{name}: expected networks like 10.0.0.0/8, got {entry!r}") from exc


REDIS_SCHEMES = ("redis://", "rediss://", "unix://")
POSITIVE = frozenset({"redis.connect_timeout", "redis.command_timeout", "redis.retry_max",
                      "dns.cloudflare_batch_limit", "dns.batch_size", "dns.poll_interval", "dns.attempts",
                      "dns.probe_timeout", "dns.probe_interval", "dns.probe_queue", "dns.probe_history",
                      "dns.tld_poll_interval", "dns.log_keep", "mail.relay_port", "mail.connect_timeout",
                      "mail.command_timeout", "mail.max_connections", "mail.messages_per_connection",
                      "mail.catcher_max_bytes", "webhooks.connect_timeout", "webhooks.timeout",
                      "webhooks.max_connections", "webhooks.max_connections_per_host",
                      "notify.batch", "notify.max_in_flight", "notify.per_target", "notify.lease",
                      "notify.delivery_timeout", "notify.poll_interval", "notify.retry_base",
                      "abuse.max_report_bytes", "abuse.max_mail_bytes", "abuse.response_hours"})


def redacted_url(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    return scheme + sep + ("***@" + rest.split("@", 1)[1] if "@" in rest else rest)


def _section(name: str, cls: type, values: Mapping[str, Any]) -> Any:
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = set(values) - set(fields)
    if unknown:
        raise ConfigError(f"unknown key(s) in [{name}]: {', '.join(sorted(unknown))}")
    return cls(**{k: _checked(f"{name}.{k}", _coerce(name, fields[k], v)) for k, v in values.items()})


# sections of the same file that another package types and checks itself
OWN_LOADERS = frozenset({"storefront"})  # storefront/payments/settings.py: [storefront.stripe], [storefront.paypal]


def config_from_mapping(raw: Mapping[str, Mapping[str, Any]]) -> Config:
    """Build and validate a Config from {section: {key: value}} (TOML or `config_as_mapping`)."""
    sections: dict[str, Any] = {f.name: f.default_factory for f in dataclasses.fields(Config)}
    unknown = set(raw) - set(sections) - OWN_LOADERS
    if unknown:
        raise ConfigError(f"unknown section(s): {', '.join(sorted(unknown))}")
    built = {name: _section(name, type(factory()), raw.get(name, {})) for name, factory in sections.items()}
    return Config(**built)


def config_as_mapping(config: Config) -> dict[str, dict[str, Any]]:
    """The loaded config as plain data (JSON-safe), so a worker process gets exactly it."""
    return dataclasses.asdict(config)


def load_config(path: Path | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Read TOML (if given), then apply REGISTRY_<SECTION>_<KEY> overrides and the
    well-known REGISTRY_DATABASE_URL."""
    env = os.environ if environ is None else environ
    raw: dict[str, dict[str, Any]] = {}
    if path is not None:
        try:
            raw = tomllib.loads(path.read_text("utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{path}: {exc}") from exc
    for section in (f.name for f in dataclasses.fields(Config)):
        prefix = f"REGISTRY_{section.upper()}_"
        for key, value in env.items():
            if key.startswith(prefix):
                raw.setdefault(section, {})[key[len(prefix):].lower()] = value
    return config_from_mapping(raw)
