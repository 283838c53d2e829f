"""The demo organisation: a city government office compound and its contractors."""

import zlib
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa

from app.auth.models import Role, User
from app.auth.users import create_user
from app.catalog.models import Contractor, ServiceLine, Site, SiteKind
from app.catalog.standards_io import load_default_catalogue
from app.core.extensions import db
from app.core.timeutil import local_today
from app.demo import factories
from app.demo.assessments import seed_assessments
from app.demo.feedback import seed_complaints, seed_survey
from app.demo.inbox import seed_inbox
from app.demo.inspections import seed_external_check, seed_inspections, seed_self_check
from app.demo.notices import seed_notices
from app.demo.plans import seed_plans
from app.notices.deadlines import ensure_default_rules

DEMO_PASSWORD = "demo12345"

# (code, name, kind, children)
SITES = (
    "HQ",
    "市级机关集中办公区",
    SiteKind.COMPOUND,
    [
        (
            "B1",
            "1号办公楼",
            SiteKind.BUILDING,
            [
                (
                    "B1-F1",
                    "一层",
                    SiteKind.FLOOR,
                    [
                        ("B1-F1-LOBBY", "大堂", SiteKind.AREA, []),
                        ("B1-F1-RCP", "服务台", SiteKind.AREA, []),
                        ("B1-F1-WC", "一层卫生间", SiteKind.AREA, []),
                    ],
                ),
                (
                    "B1-F3",
                    "三层",
                    SiteKind.FLOOR,
                    [
                        ("B1-F3-CONF", "第一会议室", SiteKind.AREA, []),
                        ("B1-F3-WC", "三层卫生间", SiteKind.AREA, []),
                    ],
                ),
                (
                    "B1-F8",
                    "八层",
                    SiteKind.FLOOR,
                    [
                        ("B1-F8-CONF", "常务会议室", SiteKind.AREA, []),
                    ],
                ),
                ("B1-ROOF", "屋面与电梯机房", SiteKind.AREA, []),
            ],
        ),
        (
            "B2",
            "2号办公楼",
            SiteKind.BUILDING,
            [
                ("B2-F1", "一层", SiteKind.FLOOR, [("B2-F1-HALL", "办事大厅", SiteKind.AREA, [])]),
                ("B2-F2", "二层", SiteKind.FLOOR, [("B2-F2-WC", "二层卫生间", SiteKind.AREA, [])]),
            ],
        ),
        (
            "CANTEEN",
            "机关食堂",
            SiteKind.BUILDING,
            [
                ("CANTEEN-KIT", "后厨操作间", SiteKind.AREA, []),
                ("CANTEEN-STORE", "食品库房", SiteKind.AREA, []),
                ("CANTEEN-HALL", "职工餐厅", SiteKind.AREA, []),
            ],
        ),
        (
            "DORM",
            "机关公寓楼",
            SiteKind.BUILDING,
            [
                ("DORM-LAUNDRY", "洗衣房", SiteKind.AREA, []),
            ],
        ),
        ("GARAGE", "地下车库", SiteKind.AREA, []),
        ("POWER", "配电房", SiteKind.AREA, []),
        ("FIRE-CTRL", "消防控制室", SiteKind.AREA, []),
        ("GARDEN", "中心广场及绿地", SiteKind.AREA, []),
        ("GATE", "南大门门岗", SiteKind.AREA, []),
        ("WASTE", "垃圾分类收集站", SiteKind.AREA, []),
    ],
)

# name, short name, licence, lines, sites, years since start, years of contract, value, share,
# promised satisfaction, contact
CONTRACTORS = [
    (
        "江宁安泰物业服务有限公司",
        "安泰物业",
        "91320115MA1N2K3L4R",
        ["CLN", "MNT", "ENG", "FIR", "WST"],
        ["B1", "B2", "DORM", "POWER", "FIRE-CTRL", "WASTE"],
        3.4,
        4,
        "3860000",
        "5",
        "92",
        ("王建国", "13905170001"),
    ),
    (
        "金陵鑫盾保安服务有限公司",
        "鑫盾保安",
        "91320100MA1P3Q4R5E",
        ["SEC", "PRK", "RCP"],
        ["GATE", "GARAGE", "B1-F1-RCP", "HQ"],
        1.2,
        3,
        "1520000",
        "5",
        "90",
        ("李卫东", "13905170002"),
    ),
    (
        "禾香餐饮管理有限公司",
        "禾香餐饮",
        "91320102MA1Q4R5T6N",
        ["CAT"],
        ["CANTEEN"],
        0.8,
        3,
        "2380000",
        "6",
        "90",
        ("陈秀英", "13905170003"),
    ),
    (
        "绿源园林绿化工程有限公司",
        "绿源园林",
        "91320104MA1R5T6U7Y",
        ["GRN"],
        ["GARDEN", "B1", "B2"],
        2.9,
        3,
        "640000",
        "5",
        "88",
        ("赵青山", "13905170004"),
    ),
    (
        "通达电梯工程有限公司",
        "通达电梯",
        "91320111MA1T6U7W8E",
        ["ELV"],
        ["B1", "B2", "DORM"],
        1.9,
        3,
        "420000",
        "5",
        "90",
        ("孙立", "13905170005"),
    ),
    (
        "雅致会务服务有限公司",
        "雅致会务",
        "91320105MA1U7W8X94",
        ["CNF"],
        ["B1-F3-CONF", "B1-F8-CONF"],
        0.5,
        2,
        "560000",
        "5",
        "95",
        ("周婷", "13905170006"),
    ),
    (
        "洁丽洗涤服务有限公司",
        "洁丽洗涤",
        "91320113MA1W8X9Y03",
        ["DRM"],
        ["DORM", "DORM-LAUNDRY"],
        1.5,
        3,
        "310000",
        "5",
        "90",
        ("吴芳", "13905170007"),
    ),
]

# contractor short name: (staff name, post, [(certificate, days from today to expiry)])
STAFF = {
    "安泰物业": [
        ("刘海", "保洁领班", [("上岗证", 400)]),
        ("杨桂兰", "保洁员", [("上岗证", -12)]),
        ("黄强", "维修电工", [("电工证", 180), ("登高作业证", -40)]),
        ("马俊", "消防控制室值班员", [("消防设施操作员证", 20)]),
        ("胡建华", "暖通运行工", [("锅炉操作证", 600)]),
    ],
    "鑫盾保安": [
        ("郭勇", "门岗队长", [("保安员证", 900)]),
        ("何磊", "巡逻岗", [("保安员证", -3)]),
        ("林晓东", "监控值机员", [("保安员证", 25), ("消防设施操作员证", 300)]),
        ("高敏", "前台接待", [("上岗证", 365)]),
    ],
    "禾香餐饮": [
        ("罗师傅", "厨师长", [("健康证", 150)]),
        ("郑小红", "面点师", [("健康证", -20)]),
        ("梁伟", "切配工", [("健康证", 10)]),
        ("宋丽", "餐厅服务员", [("健康证", 200)]),
    ],
    "绿源园林": [("谢永明", "绿化工", [("上岗证", 300)])],
    "通达电梯": [
        ("韩冬", "电梯维保员", [("特种设备作业人员证", 500)]),
        ("唐明", "电梯安全管理员", [("电梯安全管理员证", -60)]),
    ],
    "雅致会务": [("冯雪", "会议服务员", [("上岗证", 250)])],
    "洁丽洗涤": [("曹燕", "洗涤工", [("上岗证", 120)])],
}

USERS = [
    ("inspector", "张巡", Role.INSPECTOR, None),
    ("inspector2", "李察", Role.INSPECTOR, None),
    ("manager", "陈科长", Role.MANAGER, None),
    ("contractor", "王建国（安泰物业）", Role.CONTRACTOR, "安泰物业"),
    ("contractor2", "李卫东（鑫盾保安）", Role.CONTRACTOR, "鑫盾保安"),
    ("admin", "系统管理员", Role.ADMIN, None),
    # The other contractors' office users, so that every notice can be acknowledged.
    ("hexiang", "陈秀英（禾香餐饮）", Role.CONTRACTOR, "禾香餐饮"),
    ("lvyuan", "赵青山（绿源园林）", Role.CONTRACTOR, "绿源园林"),
    ("tongda", "孙立（通达电梯）", Role.CONTRACTOR, "通达电梯"),
    ("yazhi", "周婷（雅致会务）", Role.CONTRACTOR, "雅致会务"),
    ("jieli", "吴芳（洁丽洗涤）", Role.CONTRACTOR, "洁丽洗涤"),
    # 安泰物业's own administrator: invites and deactivates its company's accounts.
    ("contractor-admin", "周敏（安泰物业管理员）", Role.CONTRACTOR_ADMIN, "安泰物业"),
]


def _add_sites(root) -> dict[str, Site]:
    """The tree of places, a level at a time, so that each level's places number together."""
    sites, level = {}, [(root, None, 0)]
    while level:
        below = []
        for (code, name, kind, children), parent, position in level:
            sites[code] = factories.site(name, kind, parent, code, position=position)
            below += [(child, sites[code], n) for n, child in enumerate(children, start=1)]
        level = below
    return sites


def _add_contractors(
    sites: dict[str, Site], lines: dict[str, ServiceLine], today: date
) -> dict[str, Contractor]:
    contractors = {}
    for name, short, licence, line_codes, site_codes, years_in, years_total, value, share, target, (
        person,
        phone,
    ) in CONTRACTORS:
        start = today - timedelta(days=round(years_in * 365.25))
        contractors[short] = factories.contractor(
            name=name,
            short_name=short,
            licence_no=licence,
            contact_person=person,
            contact_phone=phone,
            contract_start=start,
            contract_end=start + timedelta(days=round(years_total * 365.25)) - timedelta(days=1),
            contract_value=Decimal(value),
            deposit_share=Decimal(share),
            satisfaction_target=Decimal(target),
            service_lines=[lines[c] for c in line_codes],
            sites=[sites[c] for c in site_codes],
        )
    return contractors


def _add_staff(contractors: dict[str, Contractor], today: date) -> None:
    for short, people in STAFF.items():
        for number, (name, post, certificates) in enumerate(people, start=1):
            member = factories.staff_member(
                contractors[short], name, post, phone=f"1380000{number:04d}"
            )
            for kind, days in certificates:
                factories.certificate(
                    member,
                    kind,
                    days,
                    number=f"{zlib.crc32(f'{name}{kind}'.encode()) % 10**8:08d}",
                    issued_on=today + timedelta(days=days - 3 * 365),
                )


def _add_users(contractors: dict[str, Contractor]) -> dict[str, User]:
    users = {
        username: create_user(
            username,
            display_name,
            role,
            DEMO_PASSWORD,
            contractor_id=contractors[short].id if short else None,
        )
        for username, display_name, role, short in USERS
    }
    db.session.flush()
    return users


def seed_demo(history: bool = True) -> None:
    """Load the standards, sites, contractors, staff, demo accounts and (unless history is
    False) two months of inspections, then commit."""
    report = load_default_catalogue()
    if not report.ok:
        raise RuntimeError(f"default catalogue is invalid: {report.errors[:3]}")
    today = local_today()
    sites = _add_sites(SITES)
    sites["HQ"].latitude, sites["HQ"].longitude = factories.COMPOUND_LOCATION
    lines = {line.code: line for line in db.session.scalars(sa.select(ServiceLine))}
    contractors = _add_contractors(sites, lines, today)
    _add_staff(contractors, today)
    users = _add_users(contractors)
    ensure_default_rules()
    seed_plans(sites, lines, contractors, users, history)
    seed_complaints(sites, lines, contractors, users)
    seed_survey(contractors, users)
    if history:
        seed_inspections(sites, lines, list(contractors.values()), users)
        seed_self_check(sites, contractors, users)
        seed_external_check(sites, lines, users)
        seed_notices(users)
        seed_assessments(users)
    seed_inbox()
    db.session.commit()
