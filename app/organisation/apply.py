"""Carrying out a plan that has no problems: every record created or changed in the caller's
transaction, which commits all of it or (on any failure) none of it. Records missing from
the workbook are never touched."""

import secrets

from app.auth.access import belongs_to_a_contractor
from app.auth.models import User
from app.catalog.models import Certificate, Contractor, Site, StaffMember
from app.core.audit import record_event
from app.core.extensions import db
from app.core.timeutil import local_today
from app.organisation.changes import ContractorWork, Work
from app.organisation.invitations import invite_many
from app.organisation.plan import Plan

# A password hash no password matches (werkzeug reads "method$salt$hash"): the person sets
# their own password through an invitation.
NO_PASSWORD_PREFIX = "!no-password-"


def unusable_password_hash() -> str:
    return NO_PASSWORD_PREFIX + secrets.token_hex(16)


def import_plan(plan: Plan, actor: User) -> list[tuple[User, str]]:
    """Apply the plan and commit, all or nothing: an IntegrityError (someone wrote the same
    record in the meantime) leaves the caller to roll back. Returns the invitation links."""
    invited = apply_plan(plan, actor)
    db.session.commit()
    return invited


def apply_plan(plan: Plan, actor: User | None = None) -> list[tuple[User, str]]:
    """Write what the plan says and audit it; each new active account is invited (its e-mail
    queued). Returns the new accounts' invitation links, to show once; the caller commits."""
    if not plan.ok or plan.work is None:
        raise ValueError("a plan with problems cannot be applied")
    work = plan.work
    with db.session.no_autoflush:
        sites = _apply_places(work)
        _apply_contractors(work, sites)
        _apply_staff(work)
    created = _apply_accounts(work, actor)
    db.session.flush()
    record_event(
        "organisation_imported",
        object_type="organisation",
        detail="；".join(plan.summary()),
        actor=actor,
    )
    return invite_many([user for user in created if user.active], actor)


def _apply_places(work: Work) -> dict[str, Site]:
    """New places a level at a time, parents first, so each gets its parent's id in one
    batch; then the places that changed."""
    sites = dict(work.sites)
    code_of = {site.id: code for code, site in sites.items()}
    next_position: dict[str, int] = {}
    for site in sites.values():
        parent = code_of.get(site.parent_id, "")
        next_position[parent] = max(next_position.get(parent, 0), site.position)
    waiting = [item for item in work.places if item.site is None]
    while waiting:
        ready = [item for item in waiting if not item.row.parent or item.row.parent in sites]
        if not ready:
            raise ValueError("places whose parents never come")  # the plan rules cycles out
        for item in ready:
            row = item.row
            next_position[row.parent] = next_position.get(row.parent, 0) + 1
            item.site = Site(
                code=row.code,
                name=row.name,
                kind=row.kind,
                parent_id=sites[row.parent].id if row.parent else None,
                position=next_position[row.parent],
            )
            db.session.add(item.site)
        db.session.flush()
        sites.update({item.row.code: item.site for item in ready})
        waiting = [item for item in waiting if item.site is None]
    for item in work.places:
        if item.todo and item.site.id in code_of:
            item.site.name = item.row.name
            item.site.kind = item.row.kind
            item.site.parent_id = sites[item.row.parent].id if item.row.parent else None
    return sites


def _apply_contractors(work: Work, sites: dict[str, Site]) -> None:
    for item in work.contractors:
        row = item.row
        contractor = item.contractor
        if contractor is None:
            contractor = Contractor(
                licence_no=row.licence,
                contact_person=row.contact_person or "",
                contact_phone=row.contact_phone or "",
                active=True if row.active is None else row.active,
            )
            db.session.add(contractor)
        elif not item.todo:
            continue
        contractor.name = row.name
        contractor.short_name = row.short_name
        for name in ("contact_person", "contact_phone", "active"):
            if getattr(row, name) is not None:
                setattr(contractor, name, getattr(row, name))
        contractor.contract_start = row.contract_start
        contractor.contract_end = row.contract_end
        contractor.contract_value = row.contract_value
        contractor.deposit_share = row.deposit_share
        contractor.satisfaction_target = row.satisfaction_target
        lines = [work.lines[code] for code in dict.fromkeys(row.lines)]
        if {line.id for line in contractor.service_lines} != {line.id for line in lines}:
            contractor.service_lines = lines
        served = [sites[code] for code in dict.fromkeys(row.sites)]
        if {site.code for site in contractor.sites} != {site.code for site in served}:
            contractor.sites = served
        item.record = contractor


def _record(item: ContractorWork) -> Contractor:
    return item.record or item.contractor


def _apply_staff(work: Work) -> None:
    today = local_today()
    for person in work.staff:
        row, member = person.row, person.member
        if member is None:
            member = person.member = StaffMember(
                contractor=_record(person.contractor),
                name=row.name,
                phone=row.phone,
                post=row.post,
                active=True if row.active is None else row.active,
            )
            db.session.add(member)
        elif person.todo:
            member.post = row.post
            if row.active is not None:
                member.active = row.active
        for item in person.certificates:
            held, given = item.certificate, item.row
            if held is None:
                member.certificates.append(
                    Certificate(
                        kind=given.kind,
                        number=given.number,
                        issued_on=given.issued_on or min(today, given.expires_on),
                        expires_on=given.expires_on,
                    )
                )
            elif item.todo:
                held.expires_on = given.expires_on
                if given.issued_on is not None:
                    held.issued_on = given.issued_on


def _apply_accounts(work: Work, actor: User | None) -> list[User]:
    created = []
    for item in work.accounts:
        row, user = item.row, item.user
        contractor = _record(item.contractor) if item.contractor else None
        if user is None:
            user = User(
                username=row.username,
                display_name=row.display_name,
                role=row.role,
                contractor=contractor,
                email=row.email,
                phone=row.phone,
                active=True if row.active is None else row.active,
                password_hash=unusable_password_hash(),
            )
            db.session.add(user)
            created.append(user)
        elif item.todo:
            _update_account(user, row, contractor, actor)
    if created:
        db.session.flush()
    for user in created:
        record_event("user_created", user, to_state=user.role.value, actor=actor)
    return created


def _update_account(user: User, row, contractor: Contractor | None, actor) -> None:
    old_role, old_active = user.role, user.active
    user.display_name = row.display_name
    user.role = row.role
    user.contractor = contractor if belongs_to_a_contractor(row.role) else None
    user.email = row.email
    user.phone = row.phone
    if row.active is not None:
        user.active = row.active
    if old_role != user.role:
        record_event(
            "role_changed", user, from_state=old_role.value, to_state=user.role.value, actor=actor
        )
    if old_active != user.active:
        record_event(
            "user_activation",
            user,
            from_state=str(old_active),
            to_state=str(user.active),
            actor=actor,
        )
