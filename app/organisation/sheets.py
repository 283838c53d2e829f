"""The organisation workbook's format: its sheets, their Chinese headers, what each column
holds, and the words its cells take for kinds of place and roles.

The headers and the 说明 sheet are the workbook's own language (bureaus keep these lists in
Chinese), not interface text: they stay the same whatever language the page is shown in.
"""

from dataclasses import dataclass
from datetime import date

from flask_babel import force_locale

from app.auth.models import Role
from app.catalog.models import SiteKind

MAX_ROWS = 20_000  # data rows in one sheet; a bureau of 2,000 places and staff is far below


@dataclass(frozen=True)
class Column:
    field: str
    header: str
    help: str
    optional: bool = False  # the header may be absent: the field is then left as it is


@dataclass(frozen=True)
class SheetSpec:
    key: str
    title: str
    columns: tuple[Column, ...]

    @property
    def headers(self) -> list[str]:
        return [column.header for column in self.columns]

    def header_of(self, field: str) -> str:
        return next(column.header for column in self.columns if column.field == field)


PLACES = SheetSpec(
    "places",
    "场所",
    (
        Column(
            "code",
            "编码",
            "必填，唯一。字母、数字、点、横线或下划线，最多 32 个字符；"
            "印在场所的二维码标签上。导入时按编码找到已有场所并更新它。",
        ),
        Column("name", "名称", "必填，最多 100 个字符。"),
        Column(
            "kind",
            "类型",
            "必填：园区、楼宇、楼层 或 房间/区域。园区在最上层；楼宇在园区内；"
            "楼层在楼宇内；房间/区域可在园区、楼宇或楼层内。",
        ),
        Column(
            "parent",
            "上级编码",
            "所在场所的编码；园区留空。上级可以写在本行之后，也可以是系统中已有的场所。",
        ),
    ),
)

CONTRACTORS = SheetSpec(
    "contractors",
    "承包商",
    (
        Column("name", "名称", "必填，企业全称，最多 200 个字符，不可与其他承包商重名。"),
        Column("short_name", "简称", "必填，最多 50 个字符；页面和通报中显示。"),
        Column(
            "licence",
            "统一社会信用代码",
            "必填，营业执照上的 18 位代码，校验位须正确。导入时按此代码找到已有承包商并更新它。",
        ),
        Column("contact_person", "联系人", "选填。", optional=True),
        Column("contact_phone", "联系电话", "选填。", optional=True),
        Column("contract_start", "合同开始", "必填，日期单元格或 2026-03-01 这样的文字。"),
        Column("contract_end", "合同结束", "必填，不早于合同开始。"),
        Column("contract_value", "合同金额（元/年）", "必填，不小于 0 的数，最多两位小数。"),
        Column("deposit_share", "保证金比例（%）", "必填，0 到 100，例如 5 表示合同金额的 5%。"),
        Column("satisfaction_target", "承诺满意率（%）", "必填，0 到 100。"),
        Column(
            "lines", "服务项目", "服务项目编码（见标准库），多个用 、 或 , 分隔，例如 CLN、MNT。"
        ),
        Column(
            "sites", "服务场所", "场所编码，多个用 、 或 , 分隔；可以是本工作簿“场所”表中的场所。"
        ),
        Column("active", "在约", "是 或 否；留空为是。", optional=True),
    ),
)

STAFF = SheetSpec(
    "staff",
    "人员证书",
    (
        Column("contractor", "承包商", "必填：承包商名称或统一社会信用代码。"),
        Column("name", "姓名", "必填，最多 50 个字符。同一承包商下按 姓名 + 电话 识别同一人。"),
        Column("post", "岗位", "选填。"),
        Column("phone", "电话", "选填；同名的两人用电话区分。"),
        Column("active", "在职", "是 或 否；留空为是。", optional=True),
        Column(
            "certificate_kind",
            "证书类型",
            "每张证书一行（同一人写多行）；没有证书的人员留空。"
            "例如 上岗证、健康证、保安员证、电工证。",
        ),
        Column("certificate_number", "证书编号", "选填；同一人的证书按 类型 + 编号 识别。"),
        Column(
            "issued_on",
            "发证日期",
            "选填；留空时，新证书记为导入当天（不晚于有效期）。",
            optional=True,
        ),
        Column("expires_on", "有效期至", "有证书时必填。"),
    ),
)

ACCOUNTS = SheetSpec(
    "accounts",
    "账号",
    (
        Column(
            "username",
            "用户名",
            "必填，2 到 64 个字母、数字、点、横线或下划线，不区分大小写；"
            "导入时按用户名找到已有账号并更新它。",
        ),
        Column("display_name", "姓名", "必填，最多 100 个字符。"),
        Column("role", "角色", "必填：监管员、监管科管理员、承包单位 或 系统管理员。"),
        Column(
            "contractor", "承包商", "角色为承包单位时必填（名称或统一社会信用代码），其他角色留空。"
        ),
        Column("email", "电子邮箱", "选填；用于邮件通知。"),
        Column("phone", "电话", "选填。"),
        Column("active", "启用", "是 或 否；留空为是。", optional=True),
    ),
)

SHEETS = (PLACES, CONTRACTORS, STAFF, ACCOUNTS)
GUIDE_TITLE = "说明"

GUIDE_INTRO = (
    "组织工作簿：场所、承包商、人员证书、账号四张表，第一行是表头，不要改动表头文字。",
    "先在页面上试导入（或运行 flask org import 文件 --dry-run），核对将新建、修改的内容和每个错误；"
    "确认后一次性全部导入，有任何错误时什么都不会写入。",
    "已有记录按 场所编码、统一社会信用代码、用户名 找到并更新；"
    "工作簿中没有的记录只会列出，不会删除。"
    "同一个工作簿再导入一次不会有任何变化。",
    "编码、电话、证书编号请设为文本格式，以免 Excel 去掉开头的 0；不要使用公式或合并单元格。",
    "导入的新账号没有密码：本人通过邀请链接自行设置。模板中的示例行请换成本单位的数据。",
)

YES_WORDS = {"", "是", "yes", "y", "true", "1"}
NO_WORDS = {"否", "no", "n", "false", "0"}


def _labelled_words(enum) -> dict[str, object]:
    """The words a cell may hold for each member: its value and its label in Chinese and in
    English, compared case-insensitively."""
    words = {}
    for locale in ("en", "zh_Hans"):
        with force_locale(locale):
            words.update({str(member.label).lower(): member for member in enum})
    words.update({member.value: member for member in enum})
    return words


def kind_words() -> dict[str, SiteKind]:
    return {**_labelled_words(SiteKind), "房间": SiteKind.AREA, "区域": SiteKind.AREA}


def role_words() -> dict[str, Role]:
    return {**_labelled_words(Role), "管理员": Role.ADMIN}


def chinese_label(member) -> str:
    """The label a cell holds in the workbook, whatever language the page is in."""
    with force_locale("zh_Hans"):
        return str(member.label)


LICENCE_EXAMPLE = "91320115MA1N2K3L4R"
COMPANY_EXAMPLE = "江宁安泰物业服务有限公司"
EXAMPLES = {
    "places": [
        ["HQ", "市级机关集中办公区", "园区", ""],
        ["B1-F1-LOBBY", "大堂", "房间/区域", "B1-F1"],
        ["B1", "1号办公楼", "楼宇", "HQ"],
        ["B1-F1", "一层", "楼层", "B1"],
    ],
    "contractors": [
        [COMPANY_EXAMPLE, "安泰物业", LICENCE_EXAMPLE, "王建国", "13905170001",
         date(2026, 1, 1), date(2028, 12, 31), 3860000, 5, 92, "CLN、MNT", "B1、B1-F1-LOBBY", "是"],
    ],
    "staff": [
        [COMPANY_EXAMPLE, "刘海", "保洁领班", "13800000001", "是", "上岗证", "SG2026001",
         date(2025, 1, 1), date(2028, 1, 1)],
        [COMPANY_EXAMPLE, "刘海", "保洁领班", "13800000001", "是", "健康证", "JK2026001",
         date(2026, 1, 5), date(2027, 1, 4)],
        [COMPANY_EXAMPLE, "杨桂兰", "保洁员", "13800000002", "是", "", "", None, None],
    ],
    "accounts": [
        ["zhangxun", "张巡", "监管员", "", "zhangxun@example.com", "13900000001", "是"],
        ["wangjianguo", "王建国", "承包单位", COMPANY_EXAMPLE, "", "13905170001", "是"],
    ],
}  # fmt: skip
