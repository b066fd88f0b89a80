"""The route table the attack tests share: who may use each route, and how to call it.

Every rule of the URL map must be classified in ROUTES (the tests fail naming any rule that is
not), so that nobody adds a route without deciding who may use it. Objects in URLs belong to
collective A (DESIGN.md section 3: another collective's objects answer 404, the coordination
area 403 for organisers, anonymous people are sent to /login?next=...).
"""

import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlencode, urlsplit

from flask import Flask, current_app
from slugify import slugify
from sqlalchemy import select
from werkzeug.routing import Rule

from app.extensions import db
from app.models import (
    ApiToken,
    Collective,
    Contribution,
    ExchangeRate,
    ImportJob,
    ImportStatus,
    Invitation,
    Membership,
    PasswordReset,
    Role,
    Screening,
    Status,
    User,
)
from app.services import api_tokens, invitations, ledger
from tests.conftest import make_collective, make_screening, make_user

ROLES = ("anonymous", "organiser_a", "organiser_b", "collective_admin_a", "coordinator", "admin")
# Methods that change state: CSRF-protected, and each needs a request body in the table.
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
NEW_PASSWORD = "a brand new passphrase for testing"


# --- what a request should answer ------------------------------------------------------------


@dataclass(frozen=True)
class Redirect:
    """A redirect to `path`; a path ending in "*" matches any path that starts with the rest."""

    path: str

    def matches(self, location: str) -> bool:
        """Whether a Location header points where this expects."""
        path = urlsplit(location).path
        if self.path.endswith("*"):
            return path.startswith(self.path[:-1])
        return path == self.path

    def __str__(self) -> str:
        return f"302 -> {self.path}"


@dataclass(frozen=True)
class LoginFirst:
    """A redirect to /login?next=<the requested path>: anonymous on a page that needs a login."""

    def __str__(self) -> str:
        return "302 -> /login?next=..."


LOGIN = LoginFirst()
Expect = int | Redirect | LoginFirst


def row(anonymous: Expect, organiser_a: Expect, organiser_b: Expect,
        collective_admin_a: Expect, coordinator: Expect, admin: Expect) -> dict[str, Expect]:
    """One line of the matrix, in the order of ROLES."""
    return dict(zip(ROLES, (anonymous, organiser_a, organiser_b, collective_admin_a,
                            coordinator, admin), strict=True))


def mismatch(response, expect: Expect, url: str) -> str | None:
    """Why the response is not what the table expects; None when it is."""
    status, location = response.status_code, response.headers.get("Location", "")
    got = f"{status}" + (f" -> {location}" if location else "")
    if isinstance(expect, LoginFirst):
        parts = urlsplit(location)
        wanted_next = urlsplit(url).path + (f"?{urlsplit(url).query}" if urlsplit(url).query
                                            else "")
        if (status == 302 and parts.path == "/login"
                and parse_qs(parts.query).get("next") == [wanted_next]):
            return None
    elif isinstance(expect, Redirect):
        if status in (301, 302, 303) and expect.matches(location):
            return None
    elif status == expect:
        return None
    return f"expected {expect}, got {got}"


def is_allowed(expect: Expect) -> bool:
    """Whether the role gets through to the route's own work (not denied, not bounced)."""
    if isinstance(expect, LoginFirst):
        return False
    if isinstance(expect, Redirect):
        return not expect.matches("/login")
    return expect not in (401, 403, 404, 405, 410)


# --- the objects the URLs point at -------------------------------------------------------------


@dataclass
class World:
    """Collectives A and B, one person per role, and collective A's objects."""

    a: Collective
    b: Collective
    users: dict[str, User | None]
    screening: Screening  # published; the default <screening_id>
    lifecycle: Screening  # published; the target of the lifecycle actions
    draft: Screening
    submitted: Screening
    contribution: Contribution
    member_to_promote: Membership
    member_to_remove: Membership
    invitation: Invitation  # pending, to a new address
    invitation_token: str
    reset_token: str  # a valid password reset link of `reset_user`
    role_target: User
    deactivate_target: User
    reactivate_target: User  # deactivated

    def user(self, role: str) -> User | None:
        """The person acting in a role (None for anonymous)."""
        return self.users[role]

    @property
    def public_slug(self) -> str:
        """The slug the public page of `screening` carries."""
        item = self.screening
        return slugify(f"{item.display_title} {item.city.name}")


def build_world() -> World:
    """Commit the world; every test that uses it starts from an empty database."""
    a, b = make_collective("collective-a"), make_collective("collective-b")
    coordinator = make_user(Role.COORDINATOR)
    users = {
        "anonymous": None,
        "organiser_a": make_user(Role.ORGANISER, a),
        "organiser_b": make_user(Role.ORGANISER, b),
        "collective_admin_a": make_user(Role.ORGANISER, a, admin_of_collective=True),
        "coordinator": coordinator,
        "admin": make_user(Role.ADMIN),
    }
    screening = make_screening(a, coordinator, Status.PUBLISHED, venue_name="Kino Aurora")
    lifecycle = make_screening(a, coordinator, Status.PUBLISHED)
    draft = make_screening(a, coordinator, Status.DRAFT)
    submitted = make_screening(a, coordinator, Status.SUBMITTED)
    contribution = ledger.record_contribution(
        screening.fundraiser, coordinator, amount="25.00", currency="EUR",
        received_on=date.today() - timedelta(days=2), channel="door")
    promote = make_user(Role.ORGANISER, a).memberships[0]
    remove = make_user(Role.ORGANISER, a).memberships[0]
    with current_app.test_request_context():
        invitation, token = invitations.create(coordinator, a, "invitee@example.org")
    reset_user = make_user(Role.ORGANISER, email="forgetful@example.org")
    reset_token = "a-reset-token-known-to-the-test-0123456789"
    db.session.add(PasswordReset(
        user_id=reset_user.id, token_hash=hashlib.sha256(reset_token.encode()).hexdigest(),
        expires_at=datetime.now(UTC) + timedelta(hours=1)))
    reactivate = make_user(Role.ORGANISER, email="sleeper@example.org")
    reactivate.is_active = False
    db.session.commit()
    return World(
        a=a, b=b, users=users, screening=screening, lifecycle=lifecycle, draft=draft,
        submitted=submitted, contribution=contribution, member_to_promote=promote,
        member_to_remove=remove, invitation=invitation, invitation_token=token,
        reset_token=reset_token, role_target=make_user(Role.ORGANISER, email="target@example.org"),
        deactivate_target=make_user(Role.ORGANISER, email="leaver@example.org"),
        reactivate_target=reactivate,
    )


# URL values by argument name; a route overrides them in Route.values.
DEFAULT_VALUES: dict[str, Callable[[World], object]] = {
    "screening_id": lambda w: w.screening.id,
    "contribution_id": lambda w: w.contribution.id,
    "slug": lambda w: w.a.slug,
    "membership_id": lambda w: w.member_to_promote.id,
    "invitation_id": lambda w: w.invitation.id,
    "user_id": lambda w: w.role_target.id,
    "filename": lambda _w: "css/site.css",
}


# --- request bodies ------------------------------------------------------------------------------


def screening_form(w: World, screening: Screening | None = None, **changes) -> dict:
    """The register/edit form filled as a person would (at the current version when editing)."""
    starts = (datetime.now(UTC) + timedelta(days=40)).strftime("%Y-%m-%dT19:30")
    data = {
        "film": "part-one", "collective": w.a.slug, "title": "Evening screening",
        "city": "Helsinki", "country": "FI", "venue_name": "Kino Aurora",
        "venue_address": "Secret Street 1", "visibility": "city_only", "starts_at": starts,
        "language": "uk", "subtitles": "en", "description": "With a talk afterwards.",
        "beneficiary": "solidarity-collectives", "purpose": "Medical supplies",
        "goal_amount": "500.00", "goal_currency": "EUR",
    }
    if screening is not None:
        data["version"] = str(db.session.get(Screening, screening.id).version_id)
    data.update(changes)
    return data


def contribution_form(w: World, contribution: Contribution | None = None, **changes) -> dict:
    """The contribution form (with the version and a reason when correcting one)."""
    data = {
        "amount": "40.00", "currency": "EUR",
        "received_on": (date.today() - timedelta(days=1)).isoformat(), "channel": "door",
        "state": "collected", "transfer_reference": "", "note": "Door money",
    }
    if contribution is not None:
        data["version"] = str(db.session.get(Contribution, contribution.id).version_id)
        data["reason"] = "Counted again"
    data.update(changes)
    return data


def api_token_of_a(w: World) -> int:
    """Organiser A's API token (made on first use, so that World stays as it was)."""
    user = w.user("organiser_a")
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id)
                              .order_by(ApiToken.id).limit(1))
    if token is None:
        _plaintext, token = api_tokens.create(user, "matrix", actor=user)
        db.session.commit()
    return token.id


def exchange_rate_id(_w: World) -> int:
    """A PLN exchange rate (made on first use, so that World stays as it was)."""
    rate = db.session.scalar(select(ExchangeRate).where(ExchangeRate.currency == "PLN")
                             .order_by(ExchangeRate.id).limit(1))
    if rate is None:
        rate = ExchangeRate(currency="PLN", valid_on=date.today() - timedelta(days=30),
                            per_base=Decimal("4.2750"))
        db.session.add(rate)
        db.session.commit()
    return rate.id


def rate_form_body(_w: World) -> dict:
    """The rates page's form (its fields are prefixed "rate-")."""
    day = (date.today() - timedelta(days=2)).isoformat()
    return {"rate-currency": "PLN", "rate-valid_on": day, "rate-per_base": "4.2750"}


def ecb_file_body(_w: World) -> dict:
    """A small, valid ECB file to check (a fresh stream each time: a request reads it)."""
    day = (date.today() - timedelta(days=3)).isoformat()
    return {"file": (io.BytesIO(f"Date,USD,PLN,\n{day},1.0812,4.2750,\n".encode()),
                     "eurofxref-hist.csv")}


def import_job_id(w: World) -> int:
    """A finished import of the coordinator's (made on first use)."""
    job = db.session.scalar(select(ImportJob).order_by(ImportJob.id).limit(1))
    if job is None:
        job = ImportJob(created_by_id=w.user("coordinator").id, filename="past.csv",
                        file_format="csv", status=ImportStatus.DONE)
        db.session.add(job)
        db.session.commit()
    return job.id


def import_file_body(_w: World) -> dict:
    """A file that is no spreadsheet: refused with 422 before any job is made."""
    return {"file": (io.BytesIO(b"not a spreadsheet"), "notes.txt")}


def rate_body(_w: World) -> dict:
    """An exchange rate (sent as a form, so the API answers 415 to those let through)."""
    return {"currency": "PLN", "valid_on": (date.today() - timedelta(days=3)).isoformat(),
            "per_base": "4.2750"}


# --- the table -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    """Who may use one endpoint, and how the tests call it.

    get/post/put/patch/delete: the expected answer per role (None: the endpoint does not take
    that method).
    values: URL values beyond DEFAULT_VALUES; query: a query string; data: the request body.
    csrf_as: who sends the request in the CSRF test (default: the first role of ROLES allowed
    to POST; "pending" is a coordinator between the password and the two-factor step), and
    csrf_expect what that person gets with a valid token when csrf_as is not in ROLES.
    last: run after the other writes (logging out ends the session).
    """

    get: dict[str, Expect] | None = None
    post: dict[str, Expect] | None = None
    put: dict[str, Expect] | None = None
    patch: dict[str, Expect] | None = None
    delete: dict[str, Expect] | None = None
    values: dict[str, Callable[[World], object]] = field(default_factory=dict)
    query: Callable[[World], dict] | None = None
    data: Callable[[World], dict] | None = None
    csrf_as: str | None = None
    csrf_expect: Expect | None = None
    last: bool = False

    def expectations(self, method: str) -> dict[str, Expect] | None:
        """The row for a method (HEAD and OPTIONS are not classified)."""
        return {"GET": self.get, "POST": self.post, "PUT": self.put, "PATCH": self.patch,
                "DELETE": self.delete}.get(method)


HOME = Redirect("/organiser/")
COORDINATION_HOME = Redirect("/coordination/")
LOGGED_IN_HOME = row(None, HOME, HOME, HOME, COORDINATION_HOME, COORDINATION_HOME)
PUBLIC = row(200, 200, 200, 200, 200, 200)
ANY_ACCOUNT = row(LOGIN, 200, 200, 200, 200, 200)
# Pages about collective A's objects: its members and every coordinator; B's member gets 404.
A_MEMBERS = row(LOGIN, 200, 404, 200, 200, 200)
# Collective A's member management: its admins and every coordinator.
A_ADMINS = row(LOGIN, 404, 404, 200, 200, 200)
COORDINATORS = row(LOGIN, 403, 403, 403, 200, 200)
SITE_ADMINS = row(LOGIN, 403, 403, 403, 403, 200)
USERS_PAGE = Redirect("/coordination/users")
RATES_PAGE = Redirect("/coordination/rates")


def _a_members_then(target: Expect) -> dict[str, Expect]:
    return row(LOGIN, target, 404, target, target, target)


def _a_admins_then(target: Expect) -> dict[str, Expect]:
    return row(LOGIN, 404, 404, target, target, target)


def _lifecycle(screening_of: Callable[[World], Screening], data: dict) -> Route:
    """A lifecycle action: answered by a redirect to the screening page, done or refused."""
    return Route(post=_a_members_then(Redirect("/organiser/screenings/*")),
                 values={"screening_id": lambda w: screening_of(w).id},
                 data=lambda _w: dict(data))


ROUTES: dict[str, Route] = {
    # Public pages and files.
    "public.index": Route(get=PUBLIC),
    "public.past": Route(get=PUBLIC),
    "public.screening": Route(get=PUBLIC, values={"slug": lambda w: w.public_slug}),
    "public.transparency": Route(get=PUBLIC),
    # Calendar and Atom feeds: public, the same for everyone (never a private address).
    "public.feed_ics": Route(get=PUBLIC),
    "public.feed_atom": Route(get=PUBLIC),
    "public.screening_ics": Route(get=PUBLIC),
    # Subject pages, the embeddable widget (framable), sitemap and robots.txt: public.
    "public.collective": Route(get=PUBLIC),
    "public.film": Route(get=PUBLIC, values={"slug": lambda _w: "part-one"}),
    "public.beneficiary": Route(get=PUBLIC, values={"slug": lambda _w: "solidarity-collectives"}),
    "public.embed": Route(get=PUBLIC, query=lambda w: {"collective": w.a.slug}),
    "public.sitemap_page": Route(get=PUBLIC),
    "public.robots": Route(get=PUBLIC),
    "static": Route(get=PUBLIC),
    "public.vendor": Route(get=PUBLIC, values={"package": lambda _w: "leaflet",
                                               "filename": lambda _w: "leaflet.js"}),
    # The language chooser: anyone; a cookie, and back to a page of this site.
    "language.choose": Route(get=row(*(Redirect("/past"),) * 6),
                             query=lambda _w: {"lang": "en", "next": "/past"}),
    # Logging in and out.
    "auth.login": Route(
        get={**LOGGED_IN_HOME, "anonymous": 200},
        post={**LOGGED_IN_HOME, "anonymous": 422},  # a wrong password
        data=lambda w: {"email": w.user("organiser_a").email, "password": "not the password"},
    ),
    "auth.two_factor": Route(
        get={**LOGGED_IN_HOME, "anonymous": Redirect("/login")},
        post={**LOGGED_IN_HOME, "anonymous": Redirect("/login")},
        data=lambda _w: {"code": "000000"}, csrf_as="pending", csrf_expect=422,
    ),
    "auth.logout": Route(post=row(LOGIN, Redirect("/"), Redirect("/"), Redirect("/"),
                                  Redirect("/"), Redirect("/")),
                         data=lambda _w: {}, last=True),
    # Password reset by link: the link is the credential; logging in changes nothing.
    "account.forgot_password": Route(get=PUBLIC, post=PUBLIC,
                                     data=lambda _w: {"email": "nobody@example.org"}),
    "account.reset_password": Route(
        get=PUBLIC, post=row(422, 422, 422, 422, 422, 422),  # the two passwords differ
        values={"token": lambda w: w.reset_token},
        data=lambda _w: {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD + "!"},
    ),
    # The person's own account.
    "account.index": Route(get=ANY_ACCOUNT),
    "account.change_password": Route(
        get=ANY_ACCOUNT, post=row(LOGIN, 422, 422, 422, 422, 422),  # wrong current password
        data=lambda _w: {"current_password": "not the password", "password": NEW_PASSWORD,
                         "confirm": NEW_PASSWORD},
    ),
    # Organisers have no second factor yet: they may start setting one up; coordinators and
    # admins already have one and are sent back to their account page.
    "account.two_factor_setup": Route(
        get=row(LOGIN, 200, 200, 200, Redirect("/account/"), Redirect("/account/")),
        post=row(LOGIN, 422, 422, 422, Redirect("/account/"), Redirect("/account/")),
        data=lambda _w: {"code": "000000"},
    ),
    "account.regenerate_recovery_codes": Route(
        get=ANY_ACCOUNT,
        post=row(LOGIN, Redirect("/account/"), Redirect("/account/"), Redirect("/account/"),
                 422, 422),  # organisers have no codes to replace; a wrong code
        data=lambda _w: {"code": "000000"},
    ),
    "account.replace_authenticator": Route(
        get=ANY_ACCOUNT,
        post=row(LOGIN, Redirect("/account/"), Redirect("/account/"), Redirect("/account/"),
                 422, 422),
        data=lambda _w: {"password": "not the password", "code": "000000"},
    ),
    # Coordinators and admins must keep two-factor authentication.
    "account.disable_two_factor": Route(
        get=row(LOGIN, 200, 200, 200, Redirect("/account/"), Redirect("/account/")),
        post=row(LOGIN, Redirect("/account/"), Redirect("/account/"), Redirect("/account/"),
                 Redirect("/account/"), Redirect("/account/")),
        data=lambda _w: {"password": "not the password", "code": "000000"},
    ),
    # Invitation links: for the invited address only; a logged-in other person gets 403.
    "members.accept": Route(
        get=row(200, 403, 403, 403, 403, 403), post=row(422, 403, 403, 403, 403, 403),
        values={"token": lambda w: w.invitation_token},
        data=lambda _w: {"name": "New Person", "password": NEW_PASSWORD,
                         "confirm": NEW_PASSWORD + "!"},
    ),
    # Collective membership (collective A's admins and coordinators).
    "members.collectives": Route(get=ANY_ACCOUNT),
    "members.index": Route(get=A_ADMINS),
    "members.invite": Route(
        post=_a_admins_then(Redirect("/organiser/collectives/collective-a/members")),
        data=lambda _w: {"email": "another.invitee@example.org", "membership_role": "member"},
    ),
    "members.revoke_invitation": Route(
        post=_a_admins_then(Redirect("/organiser/collectives/collective-a/members")),
        data=lambda _w: {},
    ),
    "members.change_role": Route(
        post=_a_admins_then(Redirect("/organiser/collectives/collective-a/members")),
        data=lambda _w: {"role": "admin"},
    ),
    "members.remove": Route(
        post=_a_admins_then(Redirect("/organiser/collectives/collective-a/members")),
        values={"membership_id": lambda w: w.member_to_remove.id}, data=lambda _w: {},
    ),
    # Organisers' pages: screenings of collective A.
    "organiser.index": Route(get=ANY_ACCOUNT),
    # B's organiser may open the form (for B) but not register a screening for A.
    "organiser.new_screening": Route(
        get=ANY_ACCOUNT, post=row(LOGIN, Redirect("/organiser/screenings/*"), 422,
                                  Redirect("/organiser/screenings/*"),
                                  Redirect("/organiser/screenings/*"),
                                  Redirect("/organiser/screenings/*")),
        data=screening_form,
    ),
    "organiser.screening": Route(get=A_MEMBERS),
    "organiser.edit_screening": Route(
        get=A_MEMBERS, post=_a_members_then(Redirect("/organiser/screenings/*")),
        data=lambda w: screening_form(w, w.screening),
    ),
    "organiser.submit": _lifecycle(lambda w: w.draft, {}),
    "organiser.postpone": _lifecycle(lambda w: w.lifecycle, {"postpone-note": ""}),
    "organiser.reschedule": _lifecycle(
        lambda w: w.lifecycle, {"reschedule-starts_at": "2031-03-01T19:30"}),
    "organiser.relocate": _lifecycle(
        lambda w: w.lifecycle, {"relocate-venue_name": "Another Hall",
                                "relocate-visibility": "city_only"}),
    "organiser.cancel": _lifecycle(lambda w: w.lifecycle, {"cancel-reason": "threats"}),
    "organiser.mark_held": _lifecycle(lambda w: w.lifecycle, {"held-attendance": "40"}),
    "organiser.new_contribution": Route(
        get=A_MEMBERS, post=_a_members_then(Redirect("/organiser/screenings/*")),
        data=contribution_form,
    ),
    "organiser.edit_contribution": Route(
        get=A_MEMBERS, post=_a_members_then(Redirect("/organiser/screenings/*")),
        data=lambda w: contribution_form(w, w.contribution, amount="45.00"),
    ),
    # Incidents: any member reports against A's screening; only A's admins read A's log.
    "organiser.new_incident": Route(
        get=A_MEMBERS, post=_a_members_then(Redirect("/organiser/incidents/reported")),
        query=lambda w: {"screening": w.screening.id},
        data=lambda _w: {"kind": "threat", "description": "A phone call to the venue."},
    ),
    "organiser.incident_reported": Route(get=ANY_ACCOUNT),
    "organiser.incident_list": Route(
        get=row(LOGIN, 404, 404, 200, Redirect("/coordination/incidents"),
                Redirect("/coordination/incidents")),
    ),
    # The coordination area.
    "coordination.index": Route(get=COORDINATORS),
    "coordination.audit_log": Route(get=COORDINATORS),
    "coordination.incidents": Route(get=COORDINATORS),
    # Money dashboards: the tour's for coordinators; everyone's own collectives' share.
    "coordination.money": Route(get=COORDINATORS),
    "organiser.money": Route(get=ANY_ACCOUNT),
    # CSV exports: coordinators export everything; organisers their collectives' share.
    "coordination.export_contributions": Route(get=COORDINATORS),
    "coordination.export_breakdown": Route(get=COORDINATORS,
                                           values={"group_by": lambda _w: "country"}),
    "organiser.export_contributions": Route(get=ANY_ACCOUNT),
    "organiser.export_breakdown": Route(get=ANY_ACCOUNT,
                                        values={"group_by": lambda _w: "collective"}),
    "coordination.publish": Route(
        post=row(LOGIN, 403, 403, 403, COORDINATION_HOME, COORDINATION_HOME),
        values={"screening_id": lambda w: w.submitted.id}, data=lambda _w: {},
    ),
    # Exchange rates: coordinators only. Checking a file writes nothing (200 with the report);
    # confirming with an unknown token writes nothing and goes back to the page.
    "coordination.rates": Route(get=COORDINATORS),
    "coordination.save_rate": Route(post=row(LOGIN, 403, 403, 403, RATES_PAGE, RATES_PAGE),
                                    data=rate_form_body),
    "coordination.confirm_delete_rate": Route(get=COORDINATORS,
                                              values={"rate_id": exchange_rate_id}),
    "coordination.delete_rate": Route(post=row(LOGIN, 403, 403, 403, RATES_PAGE, RATES_PAGE),
                                      values={"rate_id": exchange_rate_id}, data=lambda _w: {}),
    "coordination.check_rate_file": Route(post=COORDINATORS, data=ecb_file_body),
    "coordination.import_rate_file": Route(
        post=row(LOGIN, 403, 403, 403, RATES_PAGE, RATES_PAGE),
        data=lambda _w: {"token": "NoSuchUpload-0123456789ab"}),
    # Films and their synopses in several languages: coordinators only ("manage films").
    "coordination.films": Route(get=COORDINATORS),
    "coordination.film_texts": Route(
        get=COORDINATORS,
        post=row(LOGIN, 403, 403, 403, Redirect("/coordination/films"),
                 Redirect("/coordination/films")),
        values={"slug": lambda _w: "part-one"},
        data=lambda _w: {"synopsis": "Ordinary people organise.", "texts-0-language": "it",
                         "texts-0-text": "Gente comune si organizza."},
    ),
    # Bulk import of past screenings: coordinators only.
    "coordination.import_page": Route(get=COORDINATORS),
    "coordination.upload_import": Route(post=row(LOGIN, 403, 403, 403, 422, 422),
                                        data=import_file_body),
    "coordination.import_job": Route(get=COORDINATORS, values={"job_id": import_job_id}),
    "coordination.import_progress": Route(get=COORDINATORS, values={"job_id": import_job_id}),
    "coordination.import_template": Route(get=COORDINATORS, values={"fmt": lambda _w: "xlsx"}),
    # Personal API tokens: everyone with an account manages their own; another's token is 404.
    "account.tokens": Route(get=ANY_ACCOUNT, post=row(LOGIN, 200, 200, 200, 200, 200),
                            data=lambda _w: {"label": "From the matrix"}),
    "account.revoke_token": Route(
        post=row(LOGIN, Redirect("/account/tokens"), 404, 404, 404, 404),
        values={"token_id": api_token_of_a}, data=lambda _w: {},
    ),
    # The JSON API: 401 (not a login redirect) for anonymous callers, 404 for another
    # collective's screening. The table's bodies are forms, so whoever gets through to the
    # body is told 415 (tests/test_api_*.py send JSON); the CSRF test still proves that a
    # cookie write without the X-CSRFToken header is refused first.
    "api.list_contributions": Route(get=row(401, 200, 404, 200, 200, 200)),
    "api.create_contribution": Route(post=row(401, 415, 404, 415, 415, 415),
                                     data=contribution_form),
    "api.list_rates": Route(get=row(401, 200, 200, 200, 200, 200)),
    "api.create_rate": Route(post=row(401, 403, 403, 403, 415, 415), data=rate_body),
    "api.totals": Route(get=PUBLIC),
    "api.openapi": Route(get=PUBLIC),  # the OpenAPI document: public, like the docs
    # Screenings: the list, one published screening, the GeoJSON and the catalogue are
    # public; writes need an account, and another collective's screening is 404.
    "api.list_screenings": Route(get=PUBLIC),
    "api.get_screening": Route(get=PUBLIC),
    "api.screenings_geojson": Route(get=PUBLIC),
    "api.create_screening": Route(post=row(401, 415, 415, 415, 415, 415),
                                  data=lambda w: screening_form(w)),
    "api.update_screening": Route(patch=row(401, 415, 404, 415, 415, 415),
                                  data=lambda w: screening_form(w)),
    "api.create_transition": Route(post=row(401, 415, 404, 415, 415, 415),
                                   data=lambda _w: {"to": "postponed"}),
    "api.search_cities": Route(get=PUBLIC, query=lambda _w: {"q": "Helsinki"}),
    "api.list_collectives": Route(get=PUBLIC),
    "api.list_films": Route(get=PUBLIC),
    "api.list_beneficiaries": Route(get=PUBLIC),
    # Site administration of accounts: site admins only, coordinators included in the 403.
    "admin.index": Route(get=SITE_ADMINS),
    "admin.change_role": Route(post=row(LOGIN, 403, 403, 403, 403, USERS_PAGE),
                               data=lambda _w: {"role": "coordinator"}),
    "admin.deactivate": Route(post=row(LOGIN, 403, 403, 403, 403, USERS_PAGE),
                              values={"user_id": lambda w: w.deactivate_target.id},
                              data=lambda _w: {}),
    "admin.reactivate": Route(post=row(LOGIN, 403, 403, 403, 403, USERS_PAGE),
                              values={"user_id": lambda w: w.reactivate_target.id},
                              data=lambda _w: {}),
}


# --- the URL map against the table --------------------------------------------------------------


def classified_methods(rule: Rule) -> list[str]:
    """The methods of a rule the tests must classify (HEAD and OPTIONS come with GET)."""
    return sorted(m for m in rule.methods if m not in ("HEAD", "OPTIONS"))


def rules(app: Flask) -> list[Rule]:
    """Every rule of the URL map, in a stable order."""
    return sorted(app.url_map.iter_rules(), key=lambda r: (r.endpoint, r.rule))


def classification_problems(app: Flask) -> list[str]:
    """Everything in the URL map the table does not classify, and table entries without a rule."""
    problems = []
    for rule in rules(app):
        route = ROUTES.get(rule.endpoint)
        if route is None:
            problems.append(f"{rule.endpoint} ({rule.rule}) is not in tests/security_routes.py "
                            "ROUTES: decide who may use it")
            continue
        for method in classified_methods(rule):
            expectations = route.expectations(method)
            if expectations is None:
                problems.append(f"{rule.endpoint} accepts {method} ({rule.rule}), which ROUTES "
                                "does not classify")
            elif set(expectations) != set(ROLES) or None in expectations.values():
                problems.append(f"{rule.endpoint} {method}: the row must name every role")
            if method in WRITE_METHODS and route.data is None:
                problems.append(f"{rule.endpoint} {method}: ROUTES gives no request body")
        provided = set(DEFAULT_VALUES) | set(route.values)
        for argument in sorted(rule.arguments - provided):
            problems.append(f"{rule.endpoint}: no value for <{argument}> in {rule.rule}")
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    for endpoint in sorted(set(ROUTES) - endpoints):
        problems.append(f"{endpoint} is in ROUTES but no longer in the URL map")
    for endpoint, route in ROUTES.items():
        if endpoint not in endpoints:
            continue
        for method in ("GET", *WRITE_METHODS):
            takes = any(method in r.methods for r in app.url_map.iter_rules(endpoint))
            if route.expectations(method) is not None and not takes:
                problems.append(f"{endpoint}: ROUTES classifies {method}, the URL map has none")
    return problems


def url_for_rule(rule: Rule, world: World) -> str:
    """The rule's URL pointing at collective A's objects, with the route's query string."""
    route = ROUTES[rule.endpoint]
    values = {name: {**DEFAULT_VALUES, **route.values}[name](world) for name in rule.arguments}
    path = rule.build(values, append_unknown=False)[1]
    if route.query:
        path += "?" + urlencode(route.query(world))
    return path


def body_for(endpoint: str, world: World) -> dict:
    """The request body the table gives for an endpoint (read now: versions move on)."""
    return ROUTES[endpoint].data(world)


def role_for_csrf(endpoint: str, method: str = "POST") -> str:
    """Who sends the write in the CSRF test: the table's choice, or the first allowed role."""
    route = ROUTES[endpoint]
    if route.csrf_as:
        return route.csrf_as
    expectations = route.expectations(method) or {}
    for role in ROLES:
        if is_allowed(expectations.get(role, 404)):
            return role
    raise AssertionError(f"{endpoint} {method}: no role may use it, so nothing to protect?")


def table_snapshot() -> dict[str, list[tuple]]:
    """Every row of every table, ordered by primary key: any write shows up as a difference."""
    db.session.commit()  # end the session's transaction, so that the reads below are fresh
    snapshot = {}
    for table in db.metadata.sorted_tables:
        query = select(table).order_by(*table.primary_key.columns)
        snapshot[table.name] = [tuple(r) for r in db.session.execute(query)]
    return snapshot


def snapshot_difference(before: dict, after: dict) -> list[str]:
    """The tables whose rows changed, with their row counts."""
    return [f"{name}: {len(before[name])} -> {len(after[name])} rows"
            + ("" if len(before[name]) != len(after[name]) else " (rows changed)")
            for name in before if before[name] != after[name]]
