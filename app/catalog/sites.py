"""The site tree: listing, placing and moving places."""

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from app.catalog.models import SITE_CHILD_KINDS, Site, SiteKind
from app.core.audit import record_event
from app.core.extensions import db


@dataclass
class SiteNode:
    site: Site
    depth: int


def site_tree() -> list[SiteNode]:
    """Every site in tree order (depth-first), with its depth, from one query."""
    sites = db.session.scalars(sa.select(Site).order_by(Site.position, Site.name)).all()
    children: dict[int | None, list[Site]] = {}
    for site in sites:
        children.setdefault(site.parent_id, []).append(site)
    ordered: list[SiteNode] = []

    def walk(parent_id, depth):
        for site in children.get(parent_id, []):
            ordered.append(SiteNode(site, depth))
            walk(site.id, depth + 1)

    walk(None, 0)
    return ordered


def with_path():
    """A loader option for sites: their parents up to the top, joined to the site's own row,
    so that `site.path` costs no statement (else one per place above each site shown). An area
    has at most three places above it (SITE_CHILD_KINDS: compound, building, floor)."""
    return joinedload(Site.parent).joinedload(Site.parent).joinedload(Site.parent)


def descendant_ids(site: Site) -> set[int]:
    found, stack = set(), list(site.children)
    while stack:
        node = stack.pop()
        found.add(node.id)
        stack.extend(node.children)
    return found


def placement_error(kind: SiteKind, parent: Site | None, moving: Site | None = None) -> str | None:
    """Why a site of `kind` cannot sit under `parent` (None if it can)."""
    parent_kind = parent.kind if parent else None
    if kind not in SITE_CHILD_KINDS[parent_kind]:
        if parent is None:
            return _("Only a compound can be at the top of the tree.")
        return _(
            "A %(child)s cannot be inside a %(parent)s.", child=kind.label, parent=parent_kind.label
        )
    if moving is not None and parent is not None:
        if parent.id == moving.id or parent.id in descendant_ids(moving):
            return _("A site cannot be inside itself.")
        for child in moving.children:
            if child.kind not in SITE_CHILD_KINDS[kind]:
                return _(
                    "Its contents (%(child)s) cannot be inside a %(kind)s.",
                    child=child.kind.label,
                    kind=kind.label,
                )
    return None


def site_choices() -> list[tuple[int, str]]:
    """Every site for a select, indented by its depth in the tree."""
    return [(node.site.id, "　" * node.depth + node.site.name) for node in site_tree()]


def site_code_taken(code: str, site: Site | None) -> bool:
    """Whether another site has this code."""
    clash = db.session.scalar(sa.select(Site).where(Site.code == code.strip()))
    return clash is not None and clash is not site


def save_site(
    site: Site | None,
    *,
    parent: Site | None,
    kind: SiteKind,
    name: str,
    code: str,
    position: int,
    location: tuple[float | None, float | None] = (None, None),
) -> Site:
    """A new site (`site` None) or a changed one, placed under `parent` (checked already by
    placement_error), with its location (latitude, longitude) if it has one."""
    if site is None:
        site = Site()
        db.session.add(site)
    site.parent = parent
    site.kind = kind
    site.name = name.strip()
    site.code = code.strip()
    site.position = position
    site.latitude, site.longitude = location
    record_event("site_saved", site)
    db.session.commit()
    return site
