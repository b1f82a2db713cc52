"""What each kind of import carries: its fields, which are required, how each value is read, and
the column headers recognised for it in Chinese and English exports (Kingdee, Yonyou, own sheets).

Headers are compared after ``normalise_header``: lower case, no spaces, no ``*``/``:``, full-width
brackets made plain and a trailing unit in brackets dropped — so "到期日 *", "到期日(日期)" and
"Due Date" all find their field. A header naming 万元 makes that amount column count in 万元.
"""

import re
import unicodedata
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from .models import ImportKind

TEXT, CODE, DATE, AMOUNT, INT, BOOL, CHOICE = (
    "text",
    "code",
    "date",
    "amount",
    "int",
    "bool",
    "choice",
)


@dataclass(frozen=True)
class FieldSpec:
    key: str
    label: str
    required: bool
    parse: str
    headers: tuple[str, ...]
    help: str = ""
    max_length: int = 0
    choices: str = ""  # for CHOICE: which table of labels (see plan.CHOICES)


@dataclass(frozen=True)
class KindSpec:
    kind: str
    key_field: str
    fields: tuple[FieldSpec, ...]

    def field(self, key: str) -> FieldSpec:
        for spec in self.fields:
            if spec.key == key:
                return spec
        raise KeyError(key)


_UNIT = re.compile(r"[(（\[【]([^()（）\[\]【】]*)[)）\]】]$")


def normalise_header(text) -> str:
    """The form headers are compared in: "  到期日（日期）* " -> "到期日"."""
    text = unicodedata.normalize("NFKC", str(text or "")).strip().lower()
    text = text.replace("*", "").replace(":", "").replace(" ", "").replace("_", "")
    previous = None
    while previous != text:
        previous = text
        text = _UNIT.sub("", text).strip()
    return text


def header_says_wan(text) -> bool:
    """Whether a header says its amounts are in 万元 (ten thousand yuan)."""
    return "万元" in unicodedata.normalize("NFKC", str(text or ""))


def _f(key, label, parse, headers, *, required=False, help="", max_length=0, choices=""):
    return FieldSpec(
        key=key,
        label=label,
        required=required,
        parse=parse,
        headers=tuple(normalise_header(h) for h in headers),
        help=help,
        max_length=max_length,
        choices=choices,
    )


# Fields shared by several kinds.
CUSTOMER = _f(
    "customer",
    _("Customer code"),
    CODE,
    (
        "客户编码",
        "客户代码",
        "客户编号",
        "客户号",
        "往来单位编码",
        "customer code",
        "customer id",
        "customerid",
        "customer no",
        "customer",
    ),
    required=True,
    max_length=64,
)
CUSTOMER_NAME = _f(
    "customer_name",
    _("Customer name"),
    TEXT,
    ("客户名称", "客户", "往来单位", "往来单位名称", "单位名称", "customer name"),
    help=_("Only used to create a customer that does not exist yet."),
    max_length=200,
)
OWNER = _f(
    "owner",
    _("Sales rep"),
    TEXT,
    (
        "业务员",
        "销售员",
        "负责人",
        "业务负责人",
        "客户经理",
        "sales rep",
        "salesperson",
        "rep",
        "owner",
    ),
    help=_("User name or full name of a user in Huikuan."),
    max_length=150,
)
CONTRACT = _f(
    "contract",
    _("Contract number"),
    CODE,
    ("合同编号", "合同号", "合同编码", "contract", "contract number", "contract no"),
    max_length=64,
)
DESCRIPTION = _f(
    "description",
    _("Description"),
    TEXT,
    ("摘要", "备注", "说明", "商品", "货物", "商品名称", "description", "memo", "note", "goods"),
    max_length=255,
)


KINDS: dict[str, KindSpec] = {
    ImportKind.CUSTOMERS: KindSpec(
        ImportKind.CUSTOMERS,
        "code",
        (
            _f("code", _("Customer code"), CODE, CUSTOMER.headers, required=True, max_length=64),
            _f(
                "name",
                _("Customer name"),
                TEXT,
                (*CUSTOMER_NAME.headers, "名称", "name"),
                required=True,
                max_length=200,
            ),
            _f(
                "region",
                _("Region"),
                TEXT,
                ("区域", "地区", "片区", "大区", "region"),
                max_length=64,
                help=_("Code or name of a region in Huikuan."),
            ),
            OWNER,
            _f("address", _("Address"), TEXT, ("地址", "联系地址", "address"), max_length=255),
            _f(
                "payment_terms_days",
                _("Payment terms (days)"),
                INT,
                (
                    "账期",
                    "账期天数",
                    "信用天数",
                    "付款天数",
                    "payment terms",
                    "terms",
                    "terms days",
                ),
            ),
            _f("credit_limit", _("Credit limit"), AMOUNT, ("信用额度", "授信额度", "credit limit")),
            _f(
                "is_government",
                _("Government buyer"),
                BOOL,
                ("政府客户", "是否政府客户", "政府单位", "government", "government buyer"),
            ),
            _f(
                "first_deal_on",
                _("First deal date"),
                DATE,
                ("首次交易日期", "首次合作日期", "建档日期", "first deal", "first deal date"),
            ),
        ),
    ),
    ImportKind.CONTACTS: KindSpec(
        ImportKind.CONTACTS,
        "name",
        (
            CUSTOMER,
            _f(
                "name",
                _("Contact name"),
                TEXT,
                ("联系人", "姓名", "联系人姓名", "contact", "contact name", "name"),
                required=True,
                max_length=64,
            ),
            _f(
                "role",
                _("Role"),
                CHOICE,
                ("角色", "联系人类型", "类型", "role"),
                required=True,
                choices="contact_role",
                help=_("老板, 财务, 出纳, 采购, 验收人 or 付款责任人 (or the English names)."),
            ),
            _f(
                "title", _("Job title"), TEXT, ("职务", "职位", "title", "job title"), max_length=64
            ),
            _f(
                "phone",
                _("Phone"),
                TEXT,
                ("电话", "手机", "手机号", "联系电话", "phone", "mobile"),
                max_length=32,
            ),
            _f("email", _("Email"), TEXT, ("邮箱", "电子邮件", "email", "e-mail"), max_length=254),
            _f("wechat", _("WeChat"), TEXT, ("微信", "微信号", "wechat"), max_length=64),
        ),
    ),
    ImportKind.CONTRACTS: KindSpec(
        ImportKind.CONTRACTS,
        "number",
        (
            _f(
                "number", _("Contract number"), CODE, CONTRACT.headers, required=True, max_length=64
            ),
            CUSTOMER,
            _f(
                "signed_on",
                _("Signed on"),
                DATE,
                ("签订日期", "签约日期", "合同日期", "signed on", "signed", "date"),
                required=True,
            ),
            _f(
                "amount",
                _("Contract amount"),
                AMOUNT,
                ("合同金额", "金额", "总金额", "amount", "contract amount"),
            ),
            _f(
                "term_days",
                _("Days to pay after delivery"),
                INT,
                ("账期", "付款天数", "账期天数", "term days", "terms"),
            ),
            _f(
                "payment_terms",
                _("Payment terms as written"),
                TEXT,
                ("付款条件", "付款方式", "结算条款", "payment terms"),
                max_length=2000,
            ),
            _f("seal_kind", _("Seal"), CHOICE, ("盖章", "印章", "用印", "seal"), choices="seal"),
            CUSTOMER_NAME,
            OWNER,
        ),
    ),
    ImportKind.DELIVERIES: KindSpec(
        ImportKind.DELIVERIES,
        "number",
        (
            _f(
                "number",
                _("Delivery number"),
                CODE,
                (
                    "送货单号",
                    "出库单号",
                    "发货单号",
                    "单据编号",
                    "单号",
                    "delivery number",
                    "delivery no",
                    "number",
                ),
                required=True,
                max_length=64,
            ),
            CUSTOMER,
            _f(
                "delivered_on",
                _("Delivered on"),
                DATE,
                (
                    "送货日期",
                    "出库日期",
                    "发货日期",
                    "业务日期",
                    "单据日期",
                    "delivered on",
                    "delivery date",
                    "date",
                ),
                required=True,
            ),
            _f(
                "amount",
                _("Amount"),
                AMOUNT,
                ("金额", "价税合计", "含税金额", "送货金额", "amount"),
                required=True,
            ),
            _f(
                "due_date",
                _("Due date"),
                DATE,
                ("到期日", "到期日期", "应收日期", "due date", "due"),
            ),
            CONTRACT,
            DESCRIPTION,
            CUSTOMER_NAME,
            OWNER,
        ),
    ),
    ImportKind.RECEIVABLES: KindSpec(
        ImportKind.RECEIVABLES,
        "number",
        (
            _f(
                "number",
                _("Document number"),
                CODE,
                (
                    "单据编号",
                    "单据号",
                    "应收单号",
                    "发票号",
                    "发票号码",
                    "单号",
                    "invoice number",
                    "invoicenumber",
                    "invoice no",
                    "document number",
                    "number",
                ),
                required=True,
                max_length=64,
            ),
            CUSTOMER,
            _f(
                "issue_date",
                _("Issue date"),
                DATE,
                (
                    "业务日期",
                    "单据日期",
                    "开票日期",
                    "发票日期",
                    "日期",
                    "invoice date",
                    "invoicedate",
                    "issue date",
                    "date",
                ),
                required=True,
            ),
            _f(
                "due_date",
                _("Due date"),
                DATE,
                ("到期日", "到期日期", "应收日期", "收款期限", "due date", "duedate", "due"),
                help=_("Without it: the issue date plus the customer's payment terms."),
            ),
            _f(
                "amount",
                _("Amount"),
                AMOUNT,
                (
                    "金额",
                    "价税合计",
                    "应收金额",
                    "含税金额",
                    "单据金额",
                    "amount",
                    "invoice amount",
                    "invoiceamount",
                ),
                required=True,
            ),
            _f(
                "settled",
                _("Settled amount"),
                AMOUNT,
                (
                    "已核销金额",
                    "已收金额",
                    "已收款金额",
                    "已回款金额",
                    "已结算金额",
                    "settled",
                    "settled amount",
                    "paid",
                    "paid amount",
                ),
            ),
            _f(
                "outstanding",
                _("Outstanding"),
                AMOUNT,
                ("未核销金额", "未收金额", "应收余额", "余额", "outstanding", "balance"),
                help=_("Checked against amount − settled; alone it gives the settled amount."),
            ),
            CONTRACT,
            DESCRIPTION,
            CUSTOMER_NAME,
            OWNER,
        ),
    ),
    ImportKind.PAYMENTS: KindSpec(
        ImportKind.PAYMENTS,
        "number",
        (
            _f(
                "number",
                _("Payment number"),
                CODE,
                (
                    "收款单号",
                    "回款单号",
                    "收款单编号",
                    "单据编号",
                    "单号",
                    "payment number",
                    "payment no",
                    "number",
                ),
                required=True,
                max_length=64,
            ),
            CUSTOMER,
            _f(
                "received_on",
                _("Received on"),
                DATE,
                (
                    "收款日期",
                    "到账日期",
                    "回款日期",
                    "业务日期",
                    "日期",
                    "received on",
                    "payment date",
                    "date",
                ),
                required=True,
            ),
            _f(
                "amount",
                _("Amount"),
                AMOUNT,
                ("收款金额", "回款金额", "金额", "amount"),
                required=True,
            ),
            _f(
                "method",
                _("Method"),
                CHOICE,
                ("结算方式", "收款方式", "付款方式", "method"),
                choices="method",
            ),
            _f(
                "reference",
                _("Bank reference"),
                TEXT,
                ("银行流水号", "交易流水号", "流水号", "bank reference", "reference"),
                max_length=128,
            ),
            _f("note", _("Note"), TEXT, ("备注", "摘要", "note", "memo"), max_length=255),
            _f(
                "allocate_to",
                _("Settles document"),
                CODE,
                (
                    "核销单据",
                    "核销单号",
                    "核销单据编号",
                    "应收单号",
                    "发票号",
                    "settles",
                    "invoice number",
                    "allocate to",
                ),
                max_length=64,
                help=_(
                    "One receivable per row; repeat the payment on several rows to settle "
                    "several. A payment without any is settled oldest due first."
                ),
            ),
            _f(
                "allocate_amount",
                _("Settled on it"),
                AMOUNT,
                (
                    "核销金额",
                    "本次核销金额",
                    "settled amount",
                    "allocated amount",
                    "allocate amount",
                ),
            ),
        ),
    ),
    ImportKind.OPENING: KindSpec(
        ImportKind.OPENING,
        "number",
        (
            CUSTOMER,
            _f(
                "amount",
                _("Opening balance"),
                AMOUNT,
                ("期初余额", "期初应收", "余额", "金额", "opening balance", "balance", "amount"),
                required=True,
            ),
            _f(
                "on",
                _("Balance date"),
                DATE,
                ("期初日期", "余额日期", "截止日期", "日期", "as of", "date"),
                required=True,
            ),
            _f(
                "due_date",
                _("Due date"),
                DATE,
                ("到期日", "到期日期", "due date", "due"),
                help=_("Without it: the balance date."),
            ),
            _f(
                "number",
                _("Document number"),
                CODE,
                ("单据编号", "单号", "number"),
                max_length=64,
                help=_("Without it: OB-<customer code>-<date>."),
            ),
            DESCRIPTION,
            CUSTOMER_NAME,
            OWNER,
        ),
    ),
}


def kind_spec(kind: str) -> KindSpec:
    try:
        return KINDS[kind]
    except KeyError:
        from huikuan.core.errors import invalid

        raise invalid("kind", _("Unknown kind of import: %(kind)s.") % {"kind": kind}) from None


def recognise(kind: str, headers: list[str]) -> dict[str, str]:
    """The automatic mapping: for each field, the first header (left to right) that is one of
    its known names, each header used once. Fields are tried in order, so the more specific
    ("已核销金额") is never taken by a vaguer field."""
    spec = kind_spec(kind)
    taken: set[int] = set()
    mapping: dict[str, str] = {}
    normalised = [normalise_header(h) for h in headers]
    for field in spec.fields:
        for index, name in enumerate(normalised):
            if index not in taken and name and name in field.headers:
                mapping[field.key] = headers[index]
                taken.add(index)
                break
    return mapping
