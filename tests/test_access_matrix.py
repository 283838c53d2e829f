"""The access matrix: every route of the app, called as every kind of visitor, answers as the
table below says. A route missing from the table fails the test, so none can escape it.

Roles: anonymous; inspector (on the inspection used) and another inspector (not on it);
manager; admin; the contractor concerned (安泰物业, whose notice, self-check and staff are
used), its own administrator (who sees what its users see, and keeps their accounts) and
another contractor (鑫盾保安).

"Allowed" means any answer but a refusal: a page, a redirect to it, or a validation error
for the empty form the matrix posts. A refusal is 401, 403, 404 or a redirect to the login
page. A refused request must change nothing: the audit log stays as it was.
"""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from app.analysis.meetings import keep_meeting
from app.analysis.selection import selection_from
from app.assessments.results_page import switch_results_page
from app.auth.models import Role, User
from app.auth.users import create_user
from app.catalog.models import CheckPoint, Contractor, ServiceLine, Site
from app.core.audit import AuditEvent
from app.core.extensions import db
from app.core.photos import store_photo, store_signature
from app.core.timeutil import local_today, month_of, utcnow
from app.demo import DEMO_PASSWORD
from app.demo.factories import photo as demo_photo
from app.feedback.complaints import file_complaint
from app.feedback.models import Complaint, ComplaintChannel, ComplaintPhoto, Survey
from app.identity.linking import link
from app.identity.models import Provider
from app.inspections.checklist import Plan, start_inspection
from app.inspections.external import issue_guest_pass, start_external
from app.inspections.models import (
    ExternalBody,
    ExternalDocument,
    Inspection,
    InspectionItem,
    InspectionPhoto,
    Scope,
    Status,
)
from app.inspections.recording import attach_photo
from app.notices.lifecycle import raise_warning
from app.notices.models import (
    ExitWarning,
    Notice,
    NoticeReceipt,
    NoticeStatus,
    ReceiptWay,
    WarningReason,
)
from app.notify.models import Channel, Delivery, DeliveryStatus, Notification, Robot
from app.organisation.invitations import invite
from app.plans.models import InspectionPlan
from tests.app_servers import AppServer
from tests.conftest import running
from tests.helpers import PASSWORD, IsolatedClient, copy_of, login, signature_png
from tests.oidc_server import OIDCProvider

ANON, CONTRACTOR, OTHER_CONTRACTOR = "anonymous", "contractor", "other_contractor"
CONTRACTOR_ADMIN = "contractor_admin"
INSPECTOR, OTHER_INSPECTOR, MANAGER, ADMIN = "inspector", "other_inspector", "manager", "admin"
ROLES = (
    ANON,
    OTHER_CONTRACTOR,
    CONTRACTOR,
    CONTRACTOR_ADMIN,
    OTHER_INSPECTOR,
    INSPECTOR,
    MANAGER,
    ADMIN,
)
USERNAMES = {
    CONTRACTOR: "contractor",
    CONTRACTOR_ADMIN: "contractor-admin",
    OTHER_CONTRACTOR: "contractor2",
    INSPECTOR: "inspector",
    OTHER_INSPECTOR: "inspector2",
    MANAGER: "manager",
    ADMIN: "admin",
}

PUBLIC = set(ROLES)
LOGGED_IN = PUBLIC - {ANON}
SUPERVISORS = {INSPECTOR, OTHER_INSPECTOR, MANAGER, ADMIN}
EDITORS = {MANAGER, ADMIN}
ADMINS = {ADMIN}
ON_IT = {INSPECTOR, MANAGER, ADMIN}  # the inspection's own inspector, and managers
OWN_COMPANY = {CONTRACTOR, CONTRACTOR_ADMIN}  # the contractor concerned: users and administrator
CONTRACTORS = OWN_COMPANY | {OTHER_CONTRACTOR}
CONCERNED = SUPERVISORS | OWN_COMPANY  # supervisors and the contractor it is about
NOBODY_ELSE = OWN_COMPANY
ACCOUNT_KEEPERS = {ADMIN, CONTRACTOR_ADMIN}  # the bureau's; the company's, for its own users
# Reached by a secret in the link, not by a login: whoever holds it.
BY_SECRET = PUBLIC

GET, POST = "GET", "POST"
# A form with none of the fields a route reads (an empty body would make Flask-WTF fall back
# to the edited object's own values, as no browser can).
EMPTY_FORM = {"unrelated": "1"}

# (method, rule) -> who may; in the order the matrix calls them (routes that change or
# remove what later routes use come last).
MATRIX: dict[tuple[str, str], set[str]] = {
    # --- public, no login
    (GET, "/healthz"): PUBLIC,
    (GET, "/manifest.webmanifest"): PUBLIC,
    (GET, "/sw.js"): PUBLIC,
    (GET, "/offline"): PUBLIC,
    (GET, "/login"): PUBLIC,
    (GET, "/session/token"): LOGGED_IN,
    (GET, "/session/public"): PUBLIC,
    (GET, "/feedback/complaint"): PUBLIC,
    (GET, "/verify"): PUBLIC,
    (GET, "/feedback/complaint/<token>"): BY_SECRET,
    (GET, "/results/<token>"): BY_SECRET,
    (GET, "/s/<slug>"): PUBLIC,
    (GET, "/guest/<token>"): BY_SECRET,
    (GET, "/guest/<token>/<int:inspection_id>"): BY_SECRET,
    (GET, "/guest/<token>/session"): BY_SECRET,
    (GET, "/guest/<token>/photos/<int:photo_id>"): BY_SECRET,
    (GET, "/invite/<token>"): BY_SECRET,
    (GET, "/invite/<token>/oidc"): BY_SECRET,  # on to the service, to accept with it
    (GET, "/invite/<token>/wecom"): BY_SECRET,  # on to the service, to accept with it
    (GET, "/invite/<token>/dingtalk"): BY_SECRET,  # on to the service, to accept with it
    (GET, "/invite/<token>/feishu"): BY_SECRET,  # on to the service, to accept with it
    # --- home, account
    (GET, "/"): LOGGED_IN,
    (GET, "/account/password"): LOGGED_IN,
    (GET, "/admin/users"): ACCOUNT_KEEPERS,
    (GET, "/admin/users/new"): ACCOUNT_KEEPERS,
    (GET, "/admin/users/<int:user_id>/edit"): ADMINS,
    (GET, "/login/oidc"): PUBLIC,  # signed in already: on to the home page
    (GET, "/login/oidc/callback"): PUBLIC,  # called bare: a 400 page for anyone
    (GET, "/account/identities"): LOGGED_IN,
    (GET, "/account/identities/oidc"): LOGGED_IN,  # without the page's token: 400
    (GET, "/login/wecom"): PUBLIC,
    (GET, "/login/wecom/callback"): PUBLIC,  # called bare: a page saying sign-in failed
    (GET, "/account/identities/wecom"): LOGGED_IN,  # without the page's token: 400
    (GET, "/login/dingtalk"): PUBLIC,
    (GET, "/login/dingtalk/callback"): PUBLIC,  # called bare: a page saying sign-in failed
    (GET, "/account/identities/dingtalk"): LOGGED_IN,  # without the page's token: 400
    (GET, "/login/feishu"): PUBLIC,
    (GET, "/login/feishu/callback"): PUBLIC,  # called bare: a page saying sign-in failed
    (GET, "/account/identities/feishu"): LOGGED_IN,  # without the page's token: 400
    (GET, "/admin/users/<int:user_id>/identities"): ADMINS,
    (GET, "/organisation/import"): ADMINS,
    (GET, "/organisation/import/<token>"): ADMINS,  # an upload of one's own, or back to the form
    (GET, "/organisation/export.xlsx"): ADMINS,
    (GET, "/organisation/template.xlsx"): ADMINS,
    # --- notifications
    (GET, "/inbox"): LOGGED_IN,
    (GET, "/inbox/<int:notification_id>"): {CONTRACTOR},  # the contractor user's own
    (GET, "/account/notifications"): LOGGED_IN,
    (GET, "/robots"): EDITORS | CONTRACTORS,
    (GET, "/admin/deliveries"): ADMINS,
    # --- standards catalogue
    (GET, "/catalog"): LOGGED_IN,
    (GET, "/catalog/block"): LOGGED_IN,
    (GET, "/catalog/lines/<int:line_id>"): LOGGED_IN,
    (GET, "/catalog/points/<int:point_id>/reference.jpg"): LOGGED_IN,
    (GET, "/catalog/lines/new"): EDITORS,
    (GET, "/catalog/lines/<int:line_id>/edit"): EDITORS,
    (GET, "/catalog/categories/new"): EDITORS,
    (GET, "/catalog/categories/<int:category_id>/edit"): EDITORS,
    (GET, "/catalog/points/new"): EDITORS,
    (GET, "/catalog/points/<int:point_id>/edit"): EDITORS,
    (GET, "/catalog/export.xlsx"): EDITORS,
    (GET, "/catalog/import"): EDITORS,
    # --- contractors, staff, sites
    (GET, "/contractors"): SUPERVISORS,
    (GET, "/contractors/mine"): CONTRACTORS,
    (GET, "/contractors/<int:contractor_id>"): CONCERNED,
    (GET, "/contractors/new"): EDITORS,
    (GET, "/contractors/<int:contractor_id>/edit"): EDITORS,
    (GET, "/contractors/<int:contractor_id>/staff/new"): EDITORS,
    (GET, "/staff/<int:staff_id>/edit"): EDITORS,
    (GET, "/staff/<int:staff_id>/certificates/new"): EDITORS,
    (GET, "/certificates"): SUPERVISORS,
    (GET, "/certificates/<int:certificate_id>/edit"): EDITORS,
    (GET, "/sites"): SUPERVISORS,
    (GET, "/sites/new"): EDITORS,
    (GET, "/sites/<int:site_id>/edit"): EDITORS,
    (GET, "/catalog/evidence-rules"): EDITORS,
    (GET, "/sites/<int:site_id>/labels.pdf"): EDITORS,
    # --- inspections
    (GET, "/inspections"): SUPERVISORS,
    (GET, "/inspections/new"): SUPERVISORS,
    (GET, "/inspections/<int:inspection_id>"): ON_IT,
    (GET, "/inspections/<int:inspection_id>.pdf"): ON_IT,
    (GET, "/inspections/<int:inspection_id>/run"): ON_IT,
    (GET, "/inspections/photos/<int:photo_id>"): ON_IT,
    (GET, "/inspections/photos/<int:photo_id>/original"): ON_IT,  # supervisors only
    (GET, "/findings/<int:finding_id>"): ON_IT,
    (GET, "/self-checks"): SUPERVISORS | CONTRACTORS,
    (GET, "/self-checks/new"): CONTRACTORS,
    (GET, "/external/new"): EDITORS,
    (GET, "/inspections/<int:inspection_id>/external"): EDITORS,
    (GET, "/inspections/documents/<int:document_id>"): EDITORS,
    # --- notices
    (GET, "/notices"): LOGGED_IN,
    (GET, "/notices/rules"): EDITORS,
    (GET, "/notices/<int:notice_id>"): CONCERNED,
    (GET, "/notices/<int:notice_id>.pdf"): CONCERNED,
    (GET, "/notices/<int:notice_id>.ofd"): CONCERNED,
    (GET, "/notices/<int:notice_id>/evidence/<int:photo_id>"): CONCERNED,
    (GET, "/notices/fix-photos/<int:photo_id>"): CONCERNED,
    (GET, "/notices/<int:notice_id>/receipt/<any(signature, photo):part>"): CONCERNED,
    (GET, "/notices/fix-photos/<int:photo_id>/original"): SUPERVISORS,
    (GET, "/notices/<int:notice_id>/receipt/photo/original"): SUPERVISORS,
    (GET, "/warnings/<int:warning_id>"): CONCERNED,
    (GET, "/warnings/<int:warning_id>.pdf"): CONCERNED,
    (GET, "/warnings/<int:warning_id>.ofd"): CONCERNED,
    # --- plans
    (GET, "/plans"): SUPERVISORS,
    (GET, "/plans/missed"): SUPERVISORS,
    (GET, "/plans/new"): EDITORS,
    (GET, "/plans/from-frequencies"): EDITORS,
    (GET, "/plans/<int:plan_id>"): SUPERVISORS,
    (GET, "/plans/<int:plan_id>/edit"): EDITORS,
    (GET, "/plans/<int:plan_id>/stops/<int:stop_id>"): EDITORS,
    (GET, "/scan/<token>"): SUPERVISORS,
    # --- complaints and surveys
    (GET, "/complaints"): SUPERVISORS,
    (GET, "/complaints/new"): EDITORS,
    (GET, "/complaints/<int:complaint_id>"): SUPERVISORS,
    (GET, "/complaints/photos/<int:photo_id>"): SUPERVISORS,
    (GET, "/complaints/photos/<int:photo_id>/original"): SUPERVISORS,
    (GET, "/surveys"): SUPERVISORS,
    (GET, "/surveys/new"): EDITORS,
    (GET, "/surveys/<int:survey_id>"): SUPERVISORS,
    # --- assessments and bulletins
    (GET, "/assessments"): SUPERVISORS,
    (GET, "/assessments/<month>"): SUPERVISORS,
    (GET, "/assessments/<month>.xlsx"): EDITORS,
    (GET, "/assessments/policy"): EDITORS,
    (GET, "/assessments/<month>/contractors/<int:contractor_id>"): SUPERVISORS,
    (GET, "/bulletins"): LOGGED_IN,
    (GET, "/analysis"): LOGGED_IN,  # a contractor's user: its own company's figures only
    (GET, "/analysis.xlsx"): LOGGED_IN,
    (GET, "/analysis/findings"): LOGGED_IN,
    (POST, "/analysis/meetings"): EDITORS,
    (GET, "/analysis/meetings"): SUPERVISORS,
    (GET, "/analysis/visits"): SUPERVISORS,
    (GET, "/analysis/meetings/<int:meeting_id>.pdf"): SUPERVISORS,
    (GET, "/bulletins/<month>"): EDITORS,  # this month's, a draft: published, all see it
    (GET, "/bulletins/<month>.pdf"): EDITORS,
    (GET, "/assessments/results-page"): EDITORS,
    (GET, "/assessments/results-page.pdf"): EDITORS,
    (GET, "/bulletins/<month>.png"): LOGGED_IN,  # last month's, published (a draft has none)
    (GET, "/bulletins/<month>.ofd"): LOGGED_IN,  # last month's, published (a draft has none)
    # --- changes, posted empty: refused, or answered with the form's errors
    (POST, "/language"): PUBLIC,
    (POST, "/login"): PUBLIC,
    (POST, "/invite/<token>"): BY_SECRET,  # posted empty: the form's errors, nothing set
    (POST, "/feedback/complaint"): PUBLIC,
    (POST, "/verify"): PUBLIC,
    (POST, "/s/<slug>"): PUBLIC,
    (POST, "/account/password"): LOGGED_IN,
    (POST, "/self-checks/new"): CONTRACTORS,  # before its places change
    (POST, "/admin/users/new"): ACCOUNT_KEEPERS,
    (POST, "/admin/users/<int:user_id>/edit"): ADMINS,
    (POST, "/inbox/<int:notification_id>/read"): {CONTRACTOR},
    (POST, "/inbox/read-all"): LOGGED_IN,
    (POST, "/account/notifications"): LOGGED_IN,
    (POST, "/robots"): EDITORS | CONTRACTORS,
    (POST, "/robots/<int:robot_id>/delete"): EDITORS | OWN_COMPANY,  # its own company's
    (POST, "/admin/deliveries/<int:delivery_id>/resend"): ADMINS,
    (POST, "/admin/users/<int:user_id>/unlock"): ADMINS,
    (POST, "/account/identities/<int:identity_id>/unlink"): {CONTRACTOR, ADMIN},  # its owner
    (POST, "/organisation/import"): ADMINS,
    (POST, "/organisation/import/<token>"): ADMINS,
    # a user of 安泰物业: its administrator keeps the account, another company's does not
    (POST, "/admin/users/<int:user_id>/invite"): ACCOUNT_KEEPERS,
    (POST, "/admin/users/<int:user_id>/reactivate"): ACCOUNT_KEEPERS,
    (POST, "/admin/users/<int:user_id>/deactivate"): ACCOUNT_KEEPERS,
    (POST, "/catalog/lines/new"): EDITORS,
    (POST, "/catalog/lines/<int:line_id>/edit"): EDITORS,
    (POST, "/catalog/categories/new"): EDITORS,
    (POST, "/catalog/categories/<int:category_id>/edit"): EDITORS,
    (POST, "/catalog/points/new"): EDITORS,
    (POST, "/catalog/points/<int:point_id>/edit"): EDITORS,
    (POST, "/catalog/import"): EDITORS,
    (POST, "/contractors/new"): EDITORS,
    (POST, "/contractors/<int:contractor_id>/edit"): EDITORS,
    (POST, "/contractors/<int:contractor_id>/staff/new"): EDITORS,
    (POST, "/staff/<int:staff_id>/edit"): EDITORS,
    (POST, "/staff/<int:staff_id>/certificates/new"): EDITORS,
    (POST, "/certificates/<int:certificate_id>/edit"): EDITORS,
    (POST, "/sites/new"): EDITORS,
    (POST, "/sites/<int:site_id>/edit"): EDITORS,
    (POST, "/catalog/evidence-rules"): EDITORS,
    (POST, "/inspections/new"): SUPERVISORS,
    (POST, "/external/new"): EDITORS,
    (POST, "/inspections/<int:inspection_id>/items/<int:item_id>/answer"): ON_IT,
    (POST, "/inspections/<int:inspection_id>/answers"): ON_IT,
    (POST, "/inspections/<int:inspection_id>/items/<int:item_id>/note"): ON_IT,
    (POST, "/inspections/<int:inspection_id>/items/<int:item_id>/photos"): ON_IT,
    (POST, "/inspections/<int:inspection_id>/documents"): EDITORS,
    (POST, "/inspections/<int:inspection_id>/guest-pass"): EDITORS,
    (POST, "/guest/<token>/<int:inspection_id>/items/<int:item_id>/answer"): BY_SECRET,
    (POST, "/guest/<token>/<int:inspection_id>/answers"): BY_SECRET,
    (POST, "/guest/<token>/<int:inspection_id>/items/<int:item_id>/note"): BY_SECRET,
    (POST, "/guest/<token>/<int:inspection_id>/items/<int:item_id>/photos"): BY_SECRET,
    (POST, "/notices/rules"): EDITORS,
    (POST, "/notices/<int:notice_id>/findings"): SUPERVISORS,
    (POST, "/notices/<int:notice_id>/deadline"): SUPERVISORS,
    (POST, "/notices/<int:notice_id>/items/<int:item_id>/remove"): SUPERVISORS,
    (POST, "/notices/<int:notice_id>/items/<int:item_id>/fix"): NOBODY_ELSE,
    (POST, "/notices/<int:notice_id>/items/<int:item_id>/verify"): SUPERVISORS,
    (POST, "/notices/<int:notice_id>/acknowledge"): NOBODY_ELSE,
    (POST, "/notices/<int:notice_id>/served"): SUPERVISORS,
    (POST, "/plans/new"): EDITORS,
    (POST, "/plans/from-frequencies"): EDITORS,
    (POST, "/plans/from-frequencies/save"): EDITORS,
    (POST, "/plans/<int:plan_id>/edit"): EDITORS,
    (POST, "/plans/<int:plan_id>/stops/<int:stop_id>"): EDITORS,
    (POST, "/plans/<int:plan_id>/stops/<int:stop_id>/move"): EDITORS,
    (POST, "/plans/<int:plan_id>/visits/<due>/<int:site_id>"): SUPERVISORS,
    (POST, "/plans/<int:plan_id>/surveys/<due>"): EDITORS,
    (POST, "/scan/<token>"): SUPERVISORS,
    (POST, "/complaints/new"): EDITORS,
    (POST, "/complaints/<int:complaint_id>/<step>"): SUPERVISORS,
    (POST, "/surveys/new"): EDITORS,
    (POST, "/surveys/<int:survey_id>/access"): EDITORS,
    (POST, "/surveys/<int:survey_id>/cards"): EDITORS,
    (POST, "/surveys/<int:survey_id>/apply"): EDITORS,
    (POST, "/assessments/policy"): EDITORS,
    (POST, "/assessments/<month>/bonus"): EDITORS,
    (POST, "/assessments/<month>/satisfaction"): EDITORS,
    (POST, "/bulletins/<month>"): EDITORS,
    (POST, "/bulletins/<month>/publish"): EDITORS,
    (POST, "/assessments/results-page"): EDITORS,
    (POST, "/inspections/<int:inspection_id>/notices"): ON_IT,
    (POST, "/notices/<int:notice_id>/issue"): SUPERVISORS,
    (POST, "/inspections/<int:inspection_id>/reopen"): EDITORS,
    (POST, "/inspections/<int:inspection_id>/submit"): ON_IT,
    (POST, "/guest/<token>/<int:inspection_id>/submit"): BY_SECRET,
    (GET, "/guest/<token>/photos/<int:photo_id>/markup"): BY_SECRET,
    (POST, "/guest/<token>/photos/<int:photo_id>/markup"): BY_SECRET,
    # The picture to mark up: only to whoever may still record on the checklist.
    (GET, "/inspections/photos/<int:photo_id>/markup"): {INSPECTOR},
    (POST, "/inspections/photos/<int:photo_id>/markup"): ON_IT,  # managers: refused, 409
    (POST, "/guest/<token>/photos/<int:photo_id>/delete"): BY_SECRET,
    (POST, "/inspections/photos/<int:photo_id>/delete"): ON_IT,
    (POST, "/logout"): PUBLIC,
}

# Which world object fills a rule's parameter, where it is not the one of the same name.
ARGS: dict[tuple[str, str], dict[str, str]] = {
    (POST, "/inspections/<int:inspection_id>/items/<int:item_id>/answer"): {
        "inspection_id": "draft_id",
        "item_id": "draft_item_id",
    },
    (POST, "/inspections/<int:inspection_id>/answers"): {"inspection_id": "draft_id"},
    (POST, "/inspections/<int:inspection_id>/items/<int:item_id>/note"): {
        "inspection_id": "draft_id",
        "item_id": "draft_item_id",
    },
    (POST, "/inspections/<int:inspection_id>/items/<int:item_id>/photos"): {
        "inspection_id": "draft_id",
        "item_id": "draft_item_id",
    },
    (POST, "/inspections/<int:inspection_id>/documents"): {"inspection_id": "external_id"},
    (POST, "/inspections/<int:inspection_id>/guest-pass"): {"inspection_id": "external_id"},
    (POST, "/notices/<int:notice_id>/findings"): {"notice_id": "draft_notice_id"},
    (POST, "/notices/<int:notice_id>/deadline"): {"notice_id": "draft_notice_id"},
    (POST, "/notices/<int:notice_id>/items/<int:item_id>/remove"): {
        "notice_id": "draft_notice_id",
        "item_id": "draft_notice_item_id",
    },
    (POST, "/plans/<int:plan_id>/surveys/<due>"): {"plan_id": "survey_plan_id"},
    (POST, "/inspections/<int:inspection_id>/notices"): {"inspection_id": "draft_id"},
    (POST, "/notices/<int:notice_id>/issue"): {"notice_id": "draft_notice_id"},
    (POST, "/inspections/<int:inspection_id>/submit"): {"inspection_id": "draft_id"},
    (POST, "/inspections/photos/<int:photo_id>/delete"): {"photo_id": "draft_photo_id"},
    (GET, "/inspections/photos/<int:photo_id>/markup"): {"photo_id": "draft_photo_id"},
    (POST, "/inspections/photos/<int:photo_id>/markup"): {"photo_id": "draft_photo_id"},
    (GET, "/guest/<token>/photos/<int:photo_id>/markup"): {
        "token": "guest_token",
        "photo_id": "guest_photo_id",
    },
    (POST, "/guest/<token>/photos/<int:photo_id>/markup"): {
        "token": "guest_token",
        "photo_id": "guest_photo_id",
    },
    (GET, "/feedback/complaint/<token>"): {"token": "complaint_token"},
    (GET, "/results/<token>"): {"token": "results_token"},
    (GET, "/guest/<token>"): {"token": "guest_token"},
    (GET, "/guest/<token>/<int:inspection_id>"): {
        "token": "guest_token",
        "inspection_id": "guest_inspection_id",
    },
    (GET, "/guest/<token>/session"): {"token": "guest_token"},
    (GET, "/guest/<token>/photos/<int:photo_id>"): {
        "token": "guest_token",
        "photo_id": "guest_photo_id",
    },
    (POST, "/guest/<token>/<int:inspection_id>/items/<int:item_id>/answer"): {
        "token": "guest_token",
        "inspection_id": "guest_inspection_id",
        "item_id": "guest_item_id",
    },
    (POST, "/guest/<token>/<int:inspection_id>/answers"): {
        "token": "guest_token",
        "inspection_id": "guest_inspection_id",
    },
    (POST, "/guest/<token>/<int:inspection_id>/items/<int:item_id>/note"): {
        "token": "guest_token",
        "inspection_id": "guest_inspection_id",
        "item_id": "guest_item_id",
    },
    (POST, "/guest/<token>/<int:inspection_id>/items/<int:item_id>/photos"): {
        "token": "guest_token",
        "inspection_id": "guest_inspection_id",
        "item_id": "guest_item_id",
    },
    (POST, "/guest/<token>/<int:inspection_id>/submit"): {
        "token": "guest_token",
        "inspection_id": "guest_inspection_id",
    },
    (POST, "/guest/<token>/photos/<int:photo_id>/delete"): {
        "token": "guest_token",
        "photo_id": "guest_photo_id",
    },
    (GET, "/scan/<token>"): {"token": "scan_token"},
    (GET, "/organisation/import/<token>"): {"token": "guest_token"},
    (POST, "/organisation/import/<token>"): {"token": "guest_token"},
    (GET, "/invite/<token>"): {"token": "invitation_token"},
    (GET, "/invite/<token>/oidc"): {"token": "invitation_token"},
    (GET, "/invite/<token>/wecom"): {"token": "invitation_token"},
    (GET, "/invite/<token>/dingtalk"): {"token": "invitation_token"},
    (GET, "/invite/<token>/feishu"): {"token": "invitation_token"},
    (POST, "/invite/<token>"): {"token": "invitation_token"},
    (POST, "/admin/users/<int:user_id>/invite"): {"user_id": "colleague_id"},
    (POST, "/admin/users/<int:user_id>/reactivate"): {"user_id": "colleague_id"},
    (POST, "/admin/users/<int:user_id>/deactivate"): {"user_id": "colleague_id"},
    (GET, "/inspections/<int:inspection_id>/external"): {"inspection_id": "external_id"},
    (GET, "/bulletins/<month>"): {"month": "draft_month"},
    (GET, "/bulletins/<month>.pdf"): {"month": "draft_month"},
    (POST, "/scan/<token>"): {"token": "scan_token"},
    (GET, "/complaints/photos/<int:photo_id>"): {"photo_id": "complaint_photo_id"},
    (GET, "/complaints/photos/<int:photo_id>/original"): {"photo_id": "complaint_photo_id"},
    (GET, "/notices/fix-photos/<int:photo_id>"): {"photo_id": "fix_photo_id"},
    (GET, "/notices/fix-photos/<int:photo_id>/original"): {"photo_id": "fix_photo_id"},
    (GET, "/notices/<int:notice_id>/evidence/<int:photo_id>"): {"photo_id": "evidence_photo_id"},
}


# Form fields a route needs before it reaches what it guards: (field, world object).
POSTED: dict[tuple[str, str], dict[str, str]] = {
    (POST, "/self-checks/new"): {"site": "own_site_id"},
    (POST, "/notices/<int:notice_id>/findings"): {"finding_id": "finding_id"},
}

# Routes whose object is gone once the first allowed role has used them: later roles, all
# allowed by the table, are not called.
ONCE = {
    (POST, "/robots/<int:robot_id>/delete"),
    (POST, "/notices/<int:notice_id>/items/<int:item_id>/remove"),
    (POST, "/guest/<token>/photos/<int:photo_id>/delete"),
    (POST, "/inspections/photos/<int:photo_id>/delete"),
    (POST, "/account/identities/<int:identity_id>/unlink"),
}


def _first(query):
    found = db.session.scalars(query.limit(1)).first()
    assert found is not None, query
    return found


def build_world() -> dict:
    """The demo organisation, and in it one object of each kind for the URLs: a submitted
    inspection and a draft the inspector is on and the other inspector is not, the
    contractor's issued notice with a fix photo, its draft notice and exit warning, an
    external check open to a guest link, a fresh public complaint, the results page turned on."""
    users = {u.username: u for u in db.session.scalars(sa.select(User))}
    inspector, other, manager = users["inspector"], users["inspector2"], users["manager"]
    own = _first(sa.select(Contractor).where(Contractor.short_name == "安泰物业"))
    lines = {line.code: line for line in db.session.scalars(sa.select(ServiceLine))}
    sites = {site.code: site for site in db.session.scalars(sa.select(Site))}
    photo = _first(
        sa.select(InspectionPhoto)
        .join(InspectionPhoto.item)
        .join(InspectionItem.inspection)
        .where(
            Inspection.inspectors.any(User.id == inspector.id),
            ~Inspection.inspectors.any(User.id == other.id),
            Inspection.self_check.is_(False),
            Inspection.status == Status.SUBMITTED,
            Inspection.findings.any(),
        )
    )
    inspection = photo.item.inspection
    draft = start_inspection(Plan(Scope.STRIP, sites["B2"], service_line=lines["CLN"]), inspector)
    draft_photo = attach_photo(draft.items[0], demo_photo(1), inspector)
    external = start_external(
        Plan(Scope.STRIP, sites["CANTEEN-KIT"], service_line=lines["CAT"]),
        manager,
        ExternalBody.FIRE,
        "市消防救援支队",
    )
    guest_photo = attach_photo(external.items[0], demo_photo(2), manager)
    _pass, guest_token = issue_guest_pass(external, manager, "市消防救援支队 王工", 48)
    notice, fix_photo, evidence = next(
        (notice, fix, evidence)
        for notice in db.session.scalars(
            sa.select(Notice)
            .where(Notice.contractor_id == own.id, Notice.status != NoticeStatus.DRAFT)
            .order_by(Notice.id)
        )
        for item in notice.items
        for fix in item.fix_photos
        for evidence in item.finding.item.photos
    )
    # The demo's warnings depend on today's date; the table needs one of the owner's.
    warning = db.session.scalar(
        sa.select(ExitWarning).where(ExitWarning.contractor_id == own.id).limit(1)
    ) or raise_warning(notice, WarningReason.LONG_OVERDUE, utcnow())
    draft_notice = _first(
        sa.select(Notice).where(Notice.status == NoticeStatus.DRAFT, Notice.contractor_id == own.id)
    )
    _complaint, complaint_token = file_complaint(
        ComplaintChannel.ONLINE, "大堂地面湿滑", "拖地后没有警示牌。"
    )
    point = _first(sa.select(CheckPoint).order_by(CheckPoint.id))
    point.reference_photo = store_photo(demo_photo(3)).digest
    plans = db.session.scalars(sa.select(InspectionPlan).order_by(InspectionPlan.id)).all()
    patrol = next(plan for plan in plans if plan.stops and inspector in plan.inspectors)
    survey_plan = next(plan for plan in plans if plan.is_survey)
    robot = Robot(
        contractor_id=own.id,
        service=Channel.WECOM,
        name="安泰物业群",
        webhook="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=matrix",
    )
    db.session.add(robot)
    notification = _first(
        sa.select(Notification).where(Notification.user_id == users["contractor"].id)
    )
    failed = Delivery(
        event_id=notification.event_id,
        channel=Channel.EMAIL,
        user_id=notification.user_id,
        address="contractor@example.com",
        status=DeliveryStatus.FAILED,
    )
    db.session.add(failed)
    identity = link(users["contractor"], Provider.OIDC, "matrix-contractor", "安泰物业 李")
    invitee = create_user("anquan-new", "新同事（安泰物业）", Role.CONTRACTOR, contractor_id=own.id)
    invitation_link = invite(invitee, users["admin"])
    colleague = create_user("anquan-2", "同事（安泰物业）", Role.CONTRACTOR, contractor_id=own.id)
    notice.receipt = notice.receipt or NoticeReceipt(
        way=ReceiptWay.SIGNED, recorded_by=users["contractor"], recorded_at=utcnow()
    )
    notice.receipt.signature_digest = store_signature(signature_png())
    notice.receipt.photo_digest = store_photo(demo_photo(4)).digest  # its untouched original
    meeting = keep_meeting(
        selection_from(MultiDict(), manager),
        local_today(),
        "每周抽查卫生间",
        manager,
        lambda meeting: b"%PDF-1.7 a meeting pack",
    )
    results_page = switch_results_page(True, manager)
    db.session.commit()
    staff = next(member for member in own.staff if member.certificates)
    return {
        "users": {role: users[name] for role, name in USERNAMES.items()},
        "user_id": inspector.id,
        "colleague_id": colleague.id,
        "invitation_token": invitation_link.rsplit("/", 1)[1],
        "line_id": point.category.service_line_id,
        "category_id": point.category_id,
        "point_id": point.id,
        "contractor_id": own.id,
        "own_site_id": own.sites[0].id,
        "staff_id": staff.id,
        "certificate_id": staff.certificates[0].id,
        "site_id": patrol.stops[0].site_id,
        "inspection_id": inspection.id,
        "photo_id": photo.id,
        "finding_id": inspection.findings[0].id,
        "draft_id": draft.id,
        "draft_item_id": draft.items[0].id,
        "draft_photo_id": draft_photo.id,
        "external_id": external.id,
        "document_id": _first(sa.select(ExternalDocument)).id,
        "notice_id": notice.id,
        "item_id": fix_photo.item_id,
        "fix_photo_id": fix_photo.id,
        "evidence_photo_id": evidence.id,
        "draft_notice_id": draft_notice.id,
        "draft_notice_item_id": draft_notice.items[0].id,
        "warning_id": warning.id,
        "plan_id": patrol.id,
        "stop_id": patrol.stops[0].id,
        "survey_plan_id": survey_plan.id,
        "due": local_today().isoformat(),
        "scan_token": patrol.stops[0].site.scan_token,
        "complaint_id": _first(sa.select(Complaint).order_by(Complaint.id)).id,
        "complaint_photo_id": _first(sa.select(ComplaintPhoto)).id,
        "complaint_token": complaint_token,
        "results_token": results_page.token,
        "step": "accept",
        "survey_id": _first(sa.select(Survey)).id,
        "slug": _first(sa.select(Survey)).slug,
        "month": month_of(utcnow() - timedelta(days=31)),
        "draft_month": month_of(utcnow()),
        "guest_token": guest_token,
        "guest_inspection_id": external.id,
        "guest_item_id": external.items[0].id,
        "guest_photo_id": guest_photo.id,
        "notification_id": notification.id,
        "robot_id": robot.id,
        "delivery_id": failed.id,
        "identity_id": identity.id,
        "meeting_id": meeting.id,
        "part": "signature",
    }


@pytest.fixture(scope="module")
def oidc_provider(tmp_path_factory):
    """The outside sign-in routes answer only with a service configured: a real one (see
    tests/oidc_server.py), so that they answer here as they do in production."""
    server = OIDCProvider(tmp_path_factory.mktemp("oidc") / "provider.log")
    server.start()
    client_id, secret = server.register_client("http://localhost/login/oidc/callback")
    yield {"OIDC_ISSUER": server.issuer, "OIDC_CLIENT_ID": client_id, "OIDC_CLIENT_SECRET": secret}
    server.stop()


@pytest.fixture(scope="module")
def work_apps():
    """企业微信, 钉钉 and 飞书 likewise, spoken by a local server (tests/app_servers.py)."""
    with AppServer() as server:
        server.trusted_hosts.add("localhost")
        yield server.settings()


@pytest.fixture
def app_config(app_config, oidc_provider, work_apps):
    return {**app_config, **oidc_provider, **work_apps}


@pytest.fixture
def demo_app(app_config, full_demo, database_url):
    """The app on a copy of the run's whole demo."""
    with copy_of(full_demo.url, full_demo.files, app_config, database_url) as config:
        with running(config) as app:
            yield app


def url_for_rule(rule, world: dict, method: str) -> str:
    chosen = ARGS.get((method, rule.rule), {})
    given = rule.arguments - set(rule.defaults or {})  # not those its defaults fix
    values = {name: world[chosen.get(name, name)] for name in given}
    _domain, path = rule.build(values, append_unknown=False)
    return path


def refused(response) -> bool:
    if response.status_code in (401, 403, 404):
        return True
    return response.status_code in (301, 302, 303) and response.location.startswith("/login?next=")


def audit_count() -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count(AuditEvent.id)))


def rules_of(app) -> set[tuple[str, str]]:
    return {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def test_every_route_is_in_the_table(app):
    routes = rules_of(app)
    assert sorted(routes - MATRIX.keys()) == [], "routes missing from the access matrix"
    assert sorted(MATRIX.keys() - routes) == [], "the matrix names routes the app no longer has"
    assert all(MATRIX.values()), "every route is open to someone"


def test_every_route_answers_every_role_as_the_table_says(demo_app):
    app = demo_app
    world = build_world()
    rules = {
        (method, rule.rule): rule for rule in app.url_map.iter_rules() for method in rule.methods
    }
    app.test_client_class = IsolatedClient
    clients = {}
    for role in ROLES:
        clients[role] = app.test_client()
        if role != ANON:
            response = clients[role].post(
                "/login",
                data={"username": world["users"][role].username, "password": DEMO_PASSWORD},
            )
            assert response.status_code == 302, role
    wrong = []
    for (method, rule), allowed in MATRIX.items():
        url = url_for_rule(rules[(method, rule)], world, method)
        for role in ROLES:
            before = audit_count()
            fields = {name: world[key] for name, key in POSTED.get((method, rule), {}).items()}
            response = clients[role].open(url, method=method, data=EMPTY_FORM | fields)
            response.close()  # a photo's file stays open until its response is closed
            if response.status_code >= 500:
                wrong.append(f"{method} {url} as {role}: {response.status_code}")
            elif refused(response) == (role in allowed):
                verdict = "refused" if refused(response) else "allowed"
                wrong.append(f"{method} {url} as {role}: {verdict} ({response.status_code})")
            elif refused(response) and audit_count() != before:
                wrong.append(f"{method} {url} as {role}: refused but changed the audit log")
            if (method, rule) in ONCE and not refused(response):
                break
    assert wrong == [], "\n".join(wrong)


class TestCsrf:
    """Every route that changes something refuses a request without the CSRF token, before
    it looks at anything else (so made-up ids will do)."""

    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "WTF_CSRF_ENABLED": True}

    def test_every_post_route_needs_the_token(self, app, client, make_user):
        admin = make_user(Role.ADMIN)
        page = client.get("/login")
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text)[1]
        client.post(
            "/login", data={"username": admin.username, "password": PASSWORD, "csrf_token": token}
        )
        assert client.get("/").status_code == 200
        posts = [rule for rule in app.url_map.iter_rules() if "POST" in rule.methods]
        assert len(posts) > 50
        before = audit_count()
        for rule in posts:
            values = {name: 1 if "int:" + name in rule.rule else "x" for name in rule.arguments}
            _domain, url = rule.build(values, append_unknown=False)
            response = client.post(url, data={"anything": "1"})
            assert response.status_code == 400, url
            htmx = client.post(url, data={"anything": "1"}, headers={"HX-Request": "true"})
            assert htmx.status_code == 400, url
        assert audit_count() == before
        assert client.get("/").status_code == 200, "still logged in: logout was refused too"


def test_a_contractors_administrator_sees_what_its_users_see(demo_app):
    """Every page a contractor's user opens shows its administrator the same records (and
    the other company's user none of them): the administrator is recognised as one of the
    company wherever a contractor is."""
    world = build_world()
    demo_app.test_client_class = IsolatedClient
    pages = [
        "/",
        "/notices",
        "/notices?status=closed",
        "/notices?status=all",
        "/self-checks",
        "/robots",
        f"/contractors/{world['contractor_id']}",
        "/analysis",
        "/analysis/findings",
        "/bulletins",
        f"/notices/{world['notice_id']}",
        f"/warnings/{world['warning_id']}",
    ]
    seen = {}
    for role in (CONTRACTOR, CONTRACTOR_ADMIN, OTHER_CONTRACTOR):
        client = demo_app.test_client()
        login(client, world["users"][role], password=DEMO_PASSWORD)
        seen[role] = [_records_on(client.get(url)) for url in pages]
    assert seen[CONTRACTOR_ADMIN] == seen[CONTRACTOR]
    for url, own, other in zip(pages, seen[CONTRACTOR], seen[OTHER_CONTRACTOR], strict=True):
        assert own[0] == 200, url
        if "/contractors/" in url or "/notices/" in url or "/warnings/" in url:
            assert other[0] == 404, url


def _records_on(response) -> tuple[int, list[str]]:
    """The answer's status, and the records the page links to and lists."""
    links = sorted(set(re.findall(r'href="(/[^"?#]*/\d+[^"]*)"', response.text)))
    rows = response.text.count("<tr") + response.text.count('class="card')
    return response.status_code, [*links, f"{rows} rows"]
