"""Sign-in with Flask-Login: server-side identity for every request, CSRF-protected forms, expiring sessions.

The viewer of a request comes only from the signed session cookie (never from a request body). Signing in
starts a new session (no fixation) with a server-side record. A session is bound to the browser that signed
in (a hash of its User-Agent; not to the address, which changes on phones and laptops) and ends after ``IDLE``
without requests, ``ABSOLUTE`` after sign-in, at sign-out (on the server: a copy of the cookie stops working)
and at once when its user is disabled (the user's session version changes).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import secrets
import urllib.parse

from dash import Dash
from flask import Response, current_app, redirect, request, session
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from data.config import Settings
from data.errors import UNAVAILABLE, describe
from data.models import Role
from data.policy import ANONYMOUS, Viewer
from data.users import Account, account_for_session, authenticate, end_session

logger = logging.getLogger(__name__)

IDLE = dt.timedelta(hours=2)
ABSOLUTE = dt.timedelta(hours=12)
LANDING_FOR_AGENCIES = "/my-agency"  # where an agency user lands after sign-in (unless sent elsewhere)
DEVELOPMENT_SECRET = "development-only-secret-do-not-use-in-production"


class ConfigurationError(RuntimeError):
    pass


class SessionUser(UserMixin):
    def __init__(self, account: Account, session_id: str) -> None:
        self.account = account
        self.session_id = session_id

    def get_id(self) -> str:
        return f"{self.account.id}:{self.account.session_version}:{self.session_id}"


def browser() -> str:
    """What a session is bound to: a hash of the browser's User-Agent."""
    agent = request.headers.get("User-Agent", "")
    return hashlib.sha256(agent.encode("utf-8", "replace")).hexdigest()[:32]


def viewer() -> Viewer:
    """The viewer of the current request, from the server-side session only."""
    if current_app.config.get("CITISTAT_SITE") == "public":
        return ANONYMOUS  # the public site never signs anyone in, whatever cookie arrives
    if current_user and current_user.is_authenticated:
        account: Account = current_user.account
        return Viewer(account.role, account.username, account.agencies if account.role is Role.AGENCY
                      else frozenset())
    return ANONYMOUS


def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return str(session["csrf"])


def csrf_ok() -> bool:
    sent, kept = request.form.get("csrf", ""), session.get("csrf", "")
    return bool(sent) and bool(kept) and hmac.compare_digest(str(sent).encode(), str(kept).encode())  # any text


def safe_next(target: str | None) -> str:
    """Only same-site paths: no scheme, no host, no protocol-relative '//'."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    parsed = urllib.parse.urlsplit(target)
    return "/" if parsed.scheme or parsed.netloc else target


def install(app: Dash, settings: Settings) -> None:
    server = app.server
    secret = settings.secret_key or (DEVELOPMENT_SECRET if settings.development else None)
    if secret is None:
        raise ConfigurationError("SECRET_KEY is not set. Set it (the same value for every worker), or set "
                                 "APP_ENV=development on a developer machine.")
    server.secret_key = secret
    server.config["CITISTAT_SITE"] = settings.site
    if settings.site == "public":
        return
    server.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                         SESSION_COOKIE_SECURE=not settings.development, SESSION_COOKIE_NAME="citistat_session",
                         PERMANENT_SESSION_LIFETIME=IDLE, SESSION_REFRESH_EACH_REQUEST=True,
                         REMEMBER_COOKIE_DURATION=dt.timedelta(0))
    manager = LoginManager(server)
    manager.session_protection = None  # its check trusts any X-Forwarded-For and only warns on permanent sessions

    @manager.user_loader
    def _load(user_id: str) -> SessionUser | None:
        """Runs whenever a request's viewer is read: expired, ended, disabled or carried-off sessions give no user."""
        started = session.get("signed_in_at")
        limit = server.config.get("CITISTAT_SESSION_ABSOLUTE", ABSOLUTE).total_seconds()
        if not isinstance(started, float) or dt.datetime.now(dt.UTC).timestamp() - started > limit:
            return None
        account_id, version, session_id = (user_id.split(":") + ["", ""])[:3]
        if not account_id.isdigit() or not version.isdigit() or not session_id:
            return None
        if not hmac.compare_digest(str(session.get("browser", "")).encode(), browser().encode()):
            logger.warning("session of user %s presented by another browser from %s: refused", account_id,
                           request.remote_addr)
            return None
        account = account_for_session(int(account_id), int(version), session_id)
        return SessionUser(account, session_id) if account else None

    @server.post("/auth/sign-in")
    def _sign_in() -> Response:
        if not csrf_ok():
            return redirect("/sign-in?error=expired")  # type: ignore[return-value]
        result = authenticate(request.form.get("username", ""), request.form.get("password", ""),
                              request.remote_addr or "unknown")
        target = safe_next(request.form.get("next"))
        if target == "/" and result.account is not None and result.account.role is Role.AGENCY:
            target = LANDING_FOR_AGENCIES
        if result.account is None:
            wait = {"retry": str(int(result.retry_after.total_seconds()))} if result.retry_after else {}
            query = urllib.parse.urlencode({"error": "wait" if wait else "invalid", **wait, "next": target})
            return redirect(f"/sign-in?{query}")  # type: ignore[return-value]
        session.clear()  # a new session: nothing from before sign-in carries over
        login_user(SessionUser(result.account, result.session_id or ""))
        session.permanent = True  # idle expiry: the cookie's lifetime is renewed on every request
        session["signed_in_at"] = dt.datetime.now(dt.UTC).timestamp()
        session["browser"] = browser()
        session["csrf"] = secrets.token_urlsafe(32)
        return redirect(target)  # type: ignore[return-value]

    @server.post("/auth/sign-out")
    def _sign_out() -> Response:
        if csrf_ok():
            try:
                if current_user.is_authenticated:
                    end_session(current_user.session_id)
            except UNAVAILABLE as exc:  # this browser is signed out all the same; the record ends at its expiry
                logger.warning("sign-out could not end the server-side session: %s", describe(exc))
            logout_user()
            session.clear()
        return redirect("/")  # type: ignore[return-value]
