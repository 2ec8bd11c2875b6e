"""Settings read once from the environment, as a frozen object."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = f"sqlite:///{PROJECT_ROOT / 'instance' / 'citistat.db'}"


class SettingsError(ValueError):
    """An environment variable with a value the app cannot use; the message says which and why."""


@dataclass(frozen=True)
class SmtpSettings:
    """Where reminders are sent from (``SMTP_HOST`` and the rest); without a host, no e-mail is sent."""

    host: str
    port: int
    sender: str  # SMTP_FROM: "CitiStat <citistat@city.gov>"
    user: str | None = None
    password: str | None = None
    starttls: bool = False

    @classmethod
    def from_env(cls) -> SmtpSettings | None:
        host = os.environ.get("SMTP_HOST", "").strip()
        if not host:
            return None
        starttls = os.environ.get("SMTP_STARTTLS", "0") == "1"
        port = os.environ.get("SMTP_PORT") or ("587" if starttls else "25")
        sender = os.environ.get("SMTP_FROM", "").strip()
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise SettingsError(f"SMTP_PORT must be a port number, not {port!r}")
        if "@" not in sender:
            raise SettingsError("SMTP_FROM must be the sender's address (e.g. 'CitiStat <citistat@city.gov>') when "
                                "SMTP_HOST is set")
        return cls(host, int(port), sender, os.environ.get("SMTP_USER") or None,
                   os.environ.get("SMTP_PASSWORD") or None, starttls)


@dataclass(frozen=True)
class Settings:
    """Where the value store lives and where the registry is read from.

    Attributes:
        database_url: SQLAlchemy URL of the value store (and of sources declared with the default connection).
        registry_dir: folder of the metric registry YAML files.
        run_scheduler: refresh in-process on a timer (single-user development default of ``make run``).
        environment: ``APP_ENV``; anything but "development" requires ``SECRET_KEY`` and HTTPS cookies.
        secret_key: signs session cookies; shared by every worker of a site.
        site: which site this process serves: "all", "public" or "internal".
        trusted_proxy_hops: how many proxies in front of the app append to ``X-Forwarded-For`` (and set
            ``X-Forwarded-Proto``); 0 ignores those headers, so the client address is the connection's.
        smtp: where reminders are sent from; None (no ``SMTP_HOST``) sends none.
        site_url: the internal site's address, for links in e-mails (``SITE_URL``).
        api_rate_limit: requests per address to the open-data API (``API_RATE_LIMIT``, "120 per minute").
        rate_limit_storage: where the API's request counts are kept (``RATE_LIMIT_STORAGE``): "memory://" counts
            per process; "redis://host:6379" or "memcached://host:11211" shares them between workers.
        cache_dir: where the validated registry is cached for web workers (``CACHE_DIR``, ``instance/cache``).
    """

    database_url: str
    registry_dir: Path
    run_scheduler: bool
    environment: str  # "development" allows a built-in secret key and plain-HTTP cookies
    secret_key: str | None
    site: str  # "all" (public pages, staff sign in), "public" (no sign-in at all), "internal" (sign-in for all)
    trusted_proxy_hops: int = 0
    smtp: SmtpSettings | None = None
    site_url: str = ""
    api_rate_limit: str = "120 per minute"
    rate_limit_storage: str = "memory://"
    cache_dir: Path = PROJECT_ROOT / "instance" / "cache"

    @property
    def development(self) -> bool:
        return self.environment == "development"

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            database_url=os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
            registry_dir=Path(os.environ.get("REGISTRY_DIR") or PROJECT_ROOT / "cities" / "baltimore"),
            run_scheduler=os.environ.get("RUN_SCHEDULER", "0") == "1",
            environment=os.environ.get("APP_ENV", "production"),
            secret_key=os.environ.get("SECRET_KEY") or None,
            site=os.environ.get("SITE", "all"),
            trusted_proxy_hops=_hops(os.environ.get("TRUSTED_PROXY_HOPS") or "0"),
            smtp=SmtpSettings.from_env(),
            site_url=(os.environ.get("SITE_URL") or "").rstrip("/"),
            api_rate_limit=_rate(os.environ.get("API_RATE_LIMIT") or "120 per minute"),
            rate_limit_storage=os.environ.get("RATE_LIMIT_STORAGE") or "memory://",
            cache_dir=Path(os.environ.get("CACHE_DIR") or PROJECT_ROOT / "instance" / "cache"),
        )


def _rate(text: str) -> str:
    from limits import parse_many

    try:
        parse_many(text)
    except ValueError:
        raise SettingsError(f"API_RATE_LIMIT must read like '120 per minute' or '10/second;1000/hour', "
                            f"not {text!r}") from None
    return text


def _hops(text: str) -> int:
    if not text.strip().isdigit() or int(text) > 10:
        raise SettingsError(f"TRUSTED_PROXY_HOPS must be the number of proxies in front of the app (0-10), "
                            f"not {text!r}")
    return int(text)
