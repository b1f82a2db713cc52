"""The vocabulary of the demo distributor: regions and cities, customer kinds, products, contract
wording, and the reasons finance writes on write-offs and reversals. Data only, no logic.

The seller is a health-products and pharmaceutical distributor headquartered in Shanghai with a
sales office in each region.
"""

# Region code, name, and its cities: (city, telephone area code, km from the regional office).
REGIONS = [
    (
        "EAST",
        "华东",
        [
            ("上海", "021", 0),
            ("杭州", "0571", 175),
            ("南京", "025", 300),
            ("苏州", "0512", 100),
            ("宁波", "0574", 220),
            ("合肥", "0551", 470),
            ("无锡", "0510", 130),
            ("温州", "0577", 450),
            ("福州", "0591", 780),
            ("济南", "0531", 880),
        ],
    ),
    (
        "SOUTH",
        "华南",
        [
            ("广州", "020", 0),
            ("深圳", "0755", 140),
            ("东莞", "0769", 60),
            ("佛山", "0757", 25),
            ("珠海", "0756", 140),
            ("汕头", "0754", 440),
            ("南宁", "0771", 600),
            ("柳州", "0772", 560),
            ("海口", "0898", 640),
        ],
    ),
    (
        "NORTH",
        "华北",
        [
            ("北京", "010", 0),
            ("天津", "022", 135),
            ("石家庄", "0311", 290),
            ("保定", "0312", 160),
            ("唐山", "0315", 190),
            ("太原", "0351", 500),
            ("大同", "0352", 370),
            ("呼和浩特", "0471", 480),
        ],
    ),
    (
        "SOUTHWEST",
        "西南",
        [
            ("成都", "028", 0),
            ("重庆", "023", 310),
            ("绵阳", "0816", 130),
            ("南充", "0817", 230),
            ("贵阳", "0851", 630),
            ("遵义", "0851", 510),
            ("昆明", "0871", 840),
        ],
    ),
    (
        "CENTRAL",
        "华中",
        [
            ("武汉", "027", 0),
            ("长沙", "0731", 350),
            ("株洲", "0731", 400),
            ("郑州", "0371", 520),
            ("洛阳", "0379", 640),
            ("南昌", "0791", 350),
            ("九江", "0792", 260),
            ("宜昌", "0717", 320),
        ],
    ),
]

# Sales organisation: team name, region code, manager username, rep usernames.
TEAMS = [
    ("华东销售一部", "EAST", "manager1", ["rep1", "rep2", "rep3"]),
    ("华南销售部", "SOUTH", "manager2", ["rep4", "rep5"]),
    ("西南销售部", "SOUTHWEST", "manager2", ["rep6"]),
    ("华北销售部", "NORTH", "manager3", ["rep7"]),
    ("华中销售部", "CENTRAL", "manager3", ["rep8"]),
]

# Words that make up a shop or company brand (字号): two of them make a name like 仁康 or 益寿.
BRAND_WORDS = (
    "仁康济安和泰华民众信益百福寿春同源正德瑞恒昌嘉惠佳圣天久宁吉祥健新美海润"
    "达丰利元兴隆盛晨金鑫宏博远通诚"
)

# Customer kinds: key, name suffixes, relative size, how many of a hundred customers, whether it
# is a public (government-funded) buyer.
KINDS = {
    "distributor": {
        "suffixes": ["医药有限公司", "医药商业有限公司", "药业有限公司", "医药贸易有限公司"],
        "size": 12.0,
        "share": 16,
        "public": False,
    },
    "chain": {
        "suffixes": ["大药房连锁有限公司", "医药连锁有限公司", "大药房连锁股份有限公司"],
        "size": 6.0,
        "share": 20,
        "public": False,
    },
    "pharmacy": {
        "suffixes": ["大药房", "药店", "堂大药房", "医药商店"],
        "size": 1.2,
        "share": 24,
        "public": False,
    },
    "clinic": {
        "suffixes": ["诊所", "中医诊所", "门诊部", "口腔门诊部"],
        "size": 0.6,
        "share": 14,
        "public": False,
    },
    "health_store": {
        "suffixes": ["保健品商行", "健康管理有限公司", "养生馆", "健康产品经营部"],
        "size": 1.5,
        "share": 14,
        "public": False,
    },
    "hospital": {
        "names": ["第一人民医院", "第二人民医院", "中医院", "妇幼保健院", "人民医院"],
        "size": 8.0,
        "share": 8,
        "public": True,
    },
    "government": {
        "names": ["疾病预防控制中心", "卫生健康委员会", "社区卫生服务中心", "急救中心"],
        "size": 5.0,
        "share": 4,
        "public": True,
    },
}
DISTRICTS = ["高新区", "经开区", "城关区", "新城区", "城东区", "城南区", "开发区", "老城区"]

# Contact roles with the job titles each kind of customer gives them.
TITLES = {
    "boss": {"company": ["总经理", "董事长", "老板"], "public": ["院长", "主任", "分管副主任"]},
    "finance": {"company": ["财务经理", "会计", "财务主管"], "public": ["财务科长", "会计"]},
    "cashier": {"company": ["出纳"], "public": ["出纳"]},
    "purchasing": {"company": ["采购经理", "采购主管"], "public": ["药剂科主任", "采购办主任"]},
    "acceptance": {"company": ["仓库主管", "收货员"], "public": ["验收员", "设备科科长"]},
    "payment_responsible": {
        "company": ["财务总监", "副总经理"],
        "public": ["分管副院长", "财务处处长"],
    },
}

# What we sell: name, unit, price in fen, the season it sells best in ("all" = all year).
PRODUCTS = [
    ("感冒清热颗粒", "盒", 1850, "flu"),
    ("板蓝根颗粒", "盒", 1280, "flu"),
    ("复方氨酚烷胺片", "盒", 960, "flu"),
    ("布洛芬缓释胶囊", "盒", 2200, "flu"),
    ("小儿氨酚黄那敏颗粒", "盒", 1540, "flu"),
    ("医用外科口罩（50只）", "盒", 2500, "flu"),
    ("电子体温计", "支", 2990, "flu"),
    ("阿胶糕礼盒", "盒", 26800, "festival"),
    ("西洋参片礼盒", "盒", 32800, "festival"),
    ("蛋白粉礼盒", "盒", 19800, "festival"),
    ("深海鱼油软胶囊", "瓶", 15800, "festival"),
    ("枸杞原浆礼盒", "盒", 16800, "festival"),
    ("藿香正气水", "盒", 850, "summer"),
    ("十滴水", "盒", 680, "summer"),
    ("蒙脱石散", "盒", 1650, "summer"),
    ("驱蚊花露水", "瓶", 1990, "summer"),
    ("维生素C咀嚼片", "瓶", 3500, "all"),
    ("钙维D软胶囊", "瓶", 8900, "all"),
    ("复合维生素片", "瓶", 12800, "all"),
    ("益生菌粉", "盒", 15800, "all"),
    ("血糖试纸（50片）", "盒", 9600, "all"),
    ("电子血压计", "台", 21900, "all"),
    ("医用酒精消毒液", "瓶", 1200, "all"),
    ("阿莫西林胶囊", "盒", 1420, "all"),
    ("盐酸二甲双胍片", "盒", 2460, "all"),
    ("苯磺酸氨氯地平片", "盒", 3200, "all"),
]
# Quantities are whole cartons' worth of boxes.
CARTON_SIZES = (10, 20, 30, 50, 60, 100, 120, 200)

# Tenders of public buyers paid in installments (回款计划): title, amount range in yuan.
PUBLIC_TENDERS = [
    ("应急防疫物资储备采购", 180_000, 900_000),
    ("年度体检耗材集中采购", 120_000, 600_000),
    ("基层医疗机构家用医疗器械配置项目", 240_000, 1_500_000),
    ("冷链药品配送服务项目", 150_000, 800_000),
]
INSTALLMENT_PLANS = [
    # (share of the amount in percent, days after signing, description)
    [(30, 60, "验收合格后支付30%"), (40, 180, "进度款40%"), (30, 365, "质保期满支付30%")],
    [(50, 90, "到货验收后支付50%"), (45, 240, "审计结算后支付45%"), (5, 365, "质保金5%")],
    [(60, 75, "验收合格后支付60%"), (40, 270, "年度预算到位后支付40%")],
]

# Contract payment terms as written, with the day count they imply (None: no day count).
TERMS_WITH_DAYS = [
    ("货到30天内付款", 30),
    ("月结45天，每月25日对账", 45),
    ("票到60天付款", 60),
    ("货到90天内付清", 90),
    ("月结30天", 30),
]
VAGUE_TERMS = [
    "售完后付款",
    "另行协商",
    "十月份以后付款",
    "视销售情况分批付款",
]
ACCEPTANCE_CRITERIA = "按招标文件技术参数逐项验收，验收报告经使用科室和设备科签字盖章"

PAYMENT_NOTES = {
    "public": "每月{day}日前提交对账单、发票原件和验收单，经科室、财务处、分管领导三级审批后付款",
    "company": "每月{day}日统一付款，需提前三天把对账单发给财务",
    "adhoc": "无固定付款日，老板签字即付，多为现金或微信转账",
}
GOODS_RETURN = "退货：近效期/破损商品退回"
GOODS_REBATE = "{year}年度销售返利"
QUALITY_ALLOWANCE = "质量折让（包装破损争议协商结果）"
PREPAYMENT_NOTE = "春节备货预付款"

WRITE_OFF_VANISHED = "客户失联：电话停机、门店已关闭，多次上门未找到负责人，经总经理批准核销"
WRITE_OFF_INSOLVENT = "债务人进入破产清算，依法院裁定确认无法收回部分，经批准核销"
REVERSE_BOUNCED_BILL = "商业承兑汇票到期被拒付，冲回该笔回款"
REVERSE_WRONG_ALLOCATION = "核销错误：客户指定冲抵的发票有误，冲回后重新核销"
REVERSE_RECOVERED_WRITE_OFF = "破产清算分配款到账，冲回原核销后按实收重新核销"

BANKS = ["工商银行", "建设银行", "农业银行", "中国银行", "招商银行", "交通银行", "浦发银行"]
