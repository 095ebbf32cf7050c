"""What the screen looks for: the categories of personal information and the seed terms.

Categories are the personal fields of the catalogue plus the kinds of personal
information that GB/T 35273-2020 lists in its Annex A (personal information) and
Annex B (sensitive personal information) and PIPL art. 28 names as sensitive; no
campaign purpose of the policy allows any of the latter. The seed terms below are
loaded into ``ScreenTerm`` by a data migration, where a Privacy officer extends them;
the catalogue's own labels are always terms of their field, whatever the table holds.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from .. import catalogue


class SensitiveCategory(models.TextChoices):
    """Personal information outside the catalogue (GB/T 35273-2020 Annex A/B)."""

    ETHNICITY = "ethnicity", _("Ethnicity or race")
    NATIONALITY = "nationality", _("Nationality")
    RELIGION = "religion", _("Religious belief")
    HEALTH = "health", _("Health, medical history or physiology")
    BIOMETRIC = "biometric", _("Biometric data (face, fingerprint, voice …)")
    ID_DOCUMENT = "id_document", _("Identity documents other than the ID card")
    STAFF_NUMBER = "staff_number", _("Staff or student number")
    FINANCIAL = "financial", _("Bank card, accounts and property")
    INCOME = "income", _("Income and salary")
    MARITAL = "marital", _("Marital status")
    POLITICAL = "political", _("Political affiliation")
    SEXUAL_ORIENTATION = "sexual_orientation", _("Sexual orientation")
    CRIMINAL = "criminal", _("Criminal record")
    FAMILY = "family", _("Family members and children")
    EMERGENCY_CONTACT = "emergency_contact", _("Emergency contact")
    CONTACT_DETAILS = "contact_details", _("Contact details")
    LOCATION = "location", _("Location, whereabouts and accommodation")
    LICENCE_PLATE = "licence_plate", _("Licence plate")
    ONLINE_ACCOUNT = "online_account", _("Online accounts and passwords")
    DEVICE = "device", _("Device identifiers")
    AGE = "age", _("Age")
    OCCUPATION = "occupation", _("Occupation and work history")


class TermMode(models.TextChoices):
    AUTO = "auto", _("Automatic")
    SUBSTRING = "substring", _("Anywhere in the text")
    WORD = "word", _("Whole word")
    EXACT = "exact", _("Whole text only")


MODE_HELP = _(
    "Automatic: Chinese terms and English ones of six letters or more match anywhere, shorter "
    "English terms and pinyin abbreviations only as whole words. Whole text only: for choices such "
    "as “男”, which match only when they are the whole choice."
)


class TermAction(models.TextChoices):
    REFUSE = "refuse", _("Refuse the page")
    REVIEW = "review", _("Send the page to a Privacy officer")
    ALLOW = "allow", _("Not personal information (overrides the terms inside it)")


CATALOGUE_CLAUSE = _("policy §1 and PIPL art. 6")
SENSITIVE_CLAUSE = _("GB/T 35273-2020 Annex B and PIPL art. 28")
PERSONAL_CLAUSE = _("GB/T 35273-2020 Annex A and PIPL art. 6")

SENSITIVE_ANNEX_B = frozenset(
    {
        SensitiveCategory.RELIGION,
        SensitiveCategory.HEALTH,
        SensitiveCategory.BIOMETRIC,
        SensitiveCategory.ID_DOCUMENT,
        SensitiveCategory.FINANCIAL,
        SensitiveCategory.SEXUAL_ORIENTATION,
        SensitiveCategory.CRIMINAL,
        SensitiveCategory.LOCATION,
        SensitiveCategory.ONLINE_ACCOUNT,
        SensitiveCategory.ETHNICITY,
        SensitiveCategory.POLITICAL,
    }
)


def category_choices() -> list[tuple[str, str]]:
    personal = [(d.key, f"{d.label_zh} / {d.label_en}") for d in catalogue.FIELDS.values()]
    return [*personal, *SensitiveCategory.choices]


def category_label(code: str) -> str:
    if code in catalogue.FIELDS:
        return catalogue.get(code).label
    try:
        return str(SensitiveCategory(code).label)
    except ValueError:
        return code


def category_clause(code: str) -> str:
    if code in catalogue.FIELDS:
        return str(CATALOGUE_CLAUSE)
    if code in SENSITIVE_ANNEX_B:
        return str(SENSITIVE_CLAUSE)
    return str(PERSONAL_CLAUSE)


# What the label of a personal row may name besides its own field: a rephrasing such as
# "现居住地址" for the residence names "地址" too, and "联系方式" fits a mobile row.
FITS: dict[str, frozenset[str]] = {
    "name": frozenset({"contact_name"}),
    "name_pinyin": frozenset({"name"}),
    "contact_name": frozenset({"name", SensitiveCategory.CONTACT_DETAILS}),
    "company": frozenset({SensitiveCategory.OCCUPATION}),
    "position": frozenset({SensitiveCategory.OCCUPATION, "company"}),
    "email": frozenset({SensitiveCategory.CONTACT_DETAILS}),
    "mobile": frozenset({SensitiveCategory.CONTACT_DETAILS}),
    "qq_wechat": frozenset({SensitiveCategory.CONTACT_DETAILS, SensitiveCategory.ONLINE_ACCOUNT}),
    "intended_city": frozenset({"city"}),
    "city": frozenset({"intended_city", "residence"}),
    "mailing_address": frozenset({"residence", "city"}),
    "residence": frozenset({"mailing_address", "city"}),
    "birth_date": frozenset({SensitiveCategory.AGE}),
    "referrer": frozenset({"name", "contact_name"}),
    "referral_source": frozenset(),
    "cooperation_intention": frozenset({"company"}),
}


def fits(field_key: str) -> frozenset[str]:
    """Categories a row for ``field_key`` may name: its own and those of ``FITS``."""
    return frozenset({field_key}) | FITS.get(field_key, frozenset())


S = SensitiveCategory
R = TermAction.REFUSE
V = TermAction.REVIEW
OK = TermAction.ALLOW
W = TermMode.WORD
X = TermMode.EXACT
SUB = TermMode.SUBSTRING

# (category, [term | (term, mode) | (term, mode, action)]). Chinese in simplified form:
# the screen converts traditional characters before matching.
SEED_TERMS: list[tuple[str, list]] = [
    ("name", ["姓名", "名字", "真实姓名", "全名", "称呼", "贵姓", "尊姓大名", "怎么称呼", "full name",
              "your name", "first name", "last name", "given name", "family name", "surname",
              "forename", "xingming", ("name", X), ("name", W, V)]),
    ("name_pinyin", ["姓名拼音", "名字拼音", "拼音", "pinyin"]),
    ("company", ["公司名称", "公司全称", "单位名称", "企业名称", "所在公司", "所在单位", "工作单位",
                 "就职单位", "任职公司", "就职公司", "供职", "您的公司", "贵公司名称", "机构名称",
                 "company name", "employer", "organisation name", "organization name", "your company", ("company", X)]),
    ("position", ["职位", "职务", "岗位", "头衔", "职称", "job title", "your title", "job position", ("position", X), ("position", W, V), ("your role", SUB, V)]),
    ("email", ["电子邮件", "电子邮箱", "邮箱", "邮件地址", "电邮", "email", "e mail", "mailbox", "email address", "e-mail address",
               "youxiang", ("yx", W), ("mail", W)]),
    ("mobile", ["手机", "电话", "电话号码", "联系电话", "座机", "移动电话", "来电号码", "phone number",
                "phonenumber", "telephone", "cellphone", "mobilephone", "mobile number", "contact number",
                "shouji", "dianhua", ("phone", W), ("mobile", W), ("cell", W), ("tel", W), ("sjh", W),
                ("dh", W), ("mob", W), ("whatsapp", W)]),
    ("contact_name", ["联系人"]),
    ("intended_city", ["参会城市", "意向城市", "参加城市"]),
    ("city", [("城市", SUB, V), ("所在地", SUB, V), ("所在地区", SUB, V), ("city", X), ("city", W, V), ("哪个省", SUB, V)]),
    ("cooperation_intention", ["合作意向"]),
    ("mailing_address", ["地址", "邮寄地址", "收货地址", "收件地址", "快递地址", "通讯地址", "住址",
                         "门牌", "邮编", "邮政编码", "街道", "mailing address", "postal address", "home address",
                         "postcode", "zip code", "postal code", "dizhi", ("address", W), ("street", W)]),
    ("gender", ["性别", "男女", "先生女士", "gender", "xingbie", ("sex", W), ("男", X), ("女", X),
                ("男性", X), ("女性", X), ("male", X), ("female", X), ("先生", X), ("女士", X)]),
    ("birth_date", ["生日", "生曰", "出生", "生辰", "出生年月", "出生日期", "birthday", "birthdate", "date of birth",
                    "birth", "shengri", ("dob", W), ("属相", SUB, V), ("星座", SUB, V), ("生肖", SUB, V)]),
    ("education", ["学历", "学位", "毕业院校", "毕业学校", "毕业于", "最高学历", "文化程度", "education",
                   "your degree", ("degree", W, V), "alma mater", "xueli", ("本科", X), ("硕士", X), ("博士", X), ("大专", X),
                   ("高中", X), ("初中", X), ("研究生", X), ("bachelor", W), ("master's", W),
                   ("phd", W), ("school", W, V), ("university", W, V)]),
    ("residence", ["居住地", "现居", "常住", "户籍", "户口", "籍贯", "老家", "家乡", "住在哪", "住哪", "居住",
                   "residence", "hometown", "where do you live", "home town"]),
    ("qq_wechat", ["微信", "微信号", "扣扣", "qq", "企鹅号", "v信", "weixin", "wechat", ("vx", W), ("wx", W)]),
    ("id_card_number", ["身份证", "证件号", "身份号码", "公民身份", "居民身份", "idcard", "id card",
                        "id number", "idnumber", "identity card", "identity number", "national id",
                        "shenfenzheng", ("sfz", W), ("id", W, V), ("identity", W, V)]),
    ("referrer", ["推荐人", "介绍人", "referrer", "referred by"]),
    (S.ETHNICITY, ["您的民族", "所属民族", "民族成分", "哪个民族", ("民族", SUB, V), "种族", "汉族", "少数民族", "肤色", "ethnicity", "ethnic", ("race", W)]),
    (S.NATIONALITY, ["国籍", "nationality", "citizenship"]),
    (S.RELIGION, ["宗教", "信仰", "信教", "信什么教", "佛教", "基督", "伊斯兰", "穆斯林", "religion", "religious",
                  "faith", "zongjiao"]),
    (S.HEALTH, ["健康状况", "身体状况", "健康信息", "病史", "疾病", "病情", "过敏", "体检", "血型", "身高", "体重",
                "残疾", "怀孕", "孕期", "就诊", "病历", "用药", "接种", "核酸", "传染病", "慢性病", "既往病",
                "medical history", "medical condition", "health condition", "health status", "illness",
                "disease", "allergy", "allergies", "blood type", "disability", "pregnan", "diagnosis",
                "medication", "vaccinated", "vaccination", ("height", W), ("weight", W), ("健康", SUB, V),
                ("health", W, V), ("medical", W, V)]),
    (S.BIOMETRIC, ["指纹", "人脸", "面部", "虹膜", "声纹", "掌纹", "基因", "dna", "fingerprint", "face scan",
                   "facial", "iris", "voiceprint", ("照片", SUB, V), ("头像", SUB, V), ("photo", W, V),
                   ("selfie", W, V)]),
    (S.ID_DOCUMENT, ["护照", "驾照", "驾驶证", "军官证", "士兵证", "通行证", "台胞证", "回乡证", "居住证",
                     "社保卡", "社保号", "医保卡", "户口本", "证件", "passport", "driver's licence",
                     "drivers licence", "driving licence", "driver's license", "drivers license",
                     "driving license", "social security", "huzhao"]),
    (S.STAFF_NUMBER, ["工号", "员工编号", "员工号", "学号", "职工号", "工牌", "staff number", "employee id",
                      "employee number", "student id", "student number", "badge number"]),
    (S.FINANCIAL, ["银行卡", "银行账户", "银行账号", "开户行", "信用卡", "卡号", "支付宝", "个人存款", "存款金额",
                   "个人资产", "家庭资产", "房产", "车产", "征信", "信用记录", "银行流水", "bank card", "bank account", "credit card",
                   "debit card", "card number", "account number", "iban", "alipay", "credit record",
                   "credit score", "yinhangka"]),
    (S.INCOME, ["个人收入", "家庭收入", "税前收入", "月收入", "年薪", "月薪", "工资", "薪资", "薪水", "薪酬",
                "personal income", "household income", "salary", ("wage", W), ("wages", W), ("earnings", W),
                ("收入", SUB, V), ("income", W, V)]),
    (S.MARITAL, ["婚姻", "婚否", "已婚", "未婚", "离异", "丧偶", "配偶", "结婚", "单身", "marital", "married",
                 "spouse", "single or married", "hunyin"]),
    (S.POLITICAL, ["政治面貌", "党员", "党派", "团员", "民主党派", "political", "party member",
                   "party affiliation"]),
    (S.SEXUAL_ORIENTATION, ["性取向", "性倾向", "同性恋", "sexual orientation", "lgbt"]),
    (S.CRIMINAL, ["犯罪", "违法记录", "前科", "刑事", "处罚记录", "criminal", ("conviction", W), ("arrest", W),
                  ("arrested", W)]),
    (S.FAMILY, ["家庭成员", "家人", "子女", "孩子", "父母", "父亲", "母亲", "亲属", "家属", "小孩", "儿子",
                "女儿", "family member", "children", "your child", "parents", "relatives", "kids"]),
    (S.EMERGENCY_CONTACT, ["紧急联系", "emergency contact"]),
    (S.CONTACT_DETAILS, ["联系方式", "联络方式", "怎么联系", "如何联系", "contact details", "contact info",
                         "contact information", "how can we reach", "lianxifangshi", ("contact", W, V)]),
    (S.LOCATION, ["实时位置", "所在位置", "定位信息", "实时定位", "行踪", "轨迹", "经纬度", ("gps", W), "whereabouts",
                  "coordinates", ("位置", SUB, V), ("住宿", SUB, V), ("酒店", SUB, V), ("入住", SUB, V),
                  ("行程", SUB, V), ("location", W, V), ("itinerary", W, V), ("hotel", W, V),
                  ("accommodation", W, V)]),
    (S.LICENCE_PLATE, ["车牌", "车辆号", "licence plate", "license plate", "number plate", "car plate",
                       "chepai"]),
    (S.ONLINE_ACCOUNT, ["密码", "口令", "账号", "帐号", "用户名", "微博", "抖音", "钉钉", "飞书", "ip地址",
                        "password", "passcode", "username", "user name", "login", "social media", "weibo",
                        "douyin", "facebook", "twitter", "linkedin", "ip address", ("account", W, V)]),
    (S.DEVICE, ["设备号", "设备编号", "imei", "mac地址", "mac address", "device id", "sim卡"]),
    (S.AGE, ["年龄", "几岁", "周岁", "岁数", "年纪", "多大年纪", "多大了", "年龄段", "岁以上", "岁以下", "age group",
             "age range", "how old", "nianling", ("age", W), ("ages", W)]),
    # Phrases that contain a term but name no personal information: a refusing or doubtful
    # term inside one of them does not count. Only officers add these.
    ("mobile", [("电话会议", SUB, OK), ("电话会", SUB, OK), ("手机app", SUB, OK), ("手机应用", SUB, OK),
                ("手机端", SUB, OK), ("手机银行", SUB, OK), ("mobile app", SUB, OK), ("mobile application", SUB, OK),
                ("conference call", SUB, OK), ("phone call", SUB, OK)]),
    ("email", [("邮件营销", SUB, OK), ("email marketing", SUB, OK), ("e-mail marketing", SUB, OK)]),
    # Vocabulary found by trying to get past the screen: slang, other scripts, neutral choices.
    ("mobile", ["联系号码", "常用号码", "手提电话", "大哥大", "携带电话", "番号", "ケータイ", "デンワ", "전화번호",
                "핸드폰", "휴대폰", ("sjhm", W), ("phoneno", W), ("mobileno", W), ("telno", W), ("cellno", W),
                ("号码", SUB, V), ("您的号码", SUB, R)]),
    ("email", ["メールアドレス", "이메일", "メール"]),
    ("id_card_number", ["身份信息", "个人身份", "18位号码", "18位证件", "resident card", "identification number",
                        "주민등록번호", ("sfzh", W), ("identification", W, V)]),
    (S.ID_DOCUMENT, ["学生证", "工作证", "驾驶执照", "签证", "记者证", "visa", "在留カード"]),
    ("birth_date", ["诞辰", "哪年生", "本命年", "几零后", "生年月日", "생년월일", "when were you born",
                    "day you were born", ("bday", W), ("b day", W), ("90后", X), ("80后", X), ("70后", X),
                    ("00后", X), ("60后", X)]),
    (S.AGE, ["多少岁", "年岁"]),
    (S.RELIGION, ["信佛", "信主", "教会", "礼拜", "皈依", "church", "mosque", "christian", "muslim", "종교",
                  ("pray", W), ("佛", X), ("道", X), ("天主", X), ("佛教徒", X), ("清真寺", X), ("寺庙", X),
                  ("教堂", X)]),
    (S.ETHNICITY, ["回族", "藏族", "族别", "维吾尔", ("汉", X), ("回", X), ("藏", X), ("壮", X), ("满", X)]),
    (S.MARITAL, ["有对象", "男朋友", "女朋友", "老婆", "老公", "对象吗"]),
    (S.HEALTH, ["高血压", "血糖", "残障", "吃药", "糖尿病", "心脏病"]),
    ("mailing_address", ["家住", "小区", "几号楼", "收件人", "寄到哪", "住所", "주소"]),
    ("gender", [("男生", X), ("女生", X), ("帅哥", X), ("美女", X), ("mr", X), ("ms", X), ("mrs", X),
                ("mr.", X), ("ms.", X), ("mrs.", X)]),
    (S.OCCUPATION, ["职业", "工作经历", "工作年限", "工龄", "履历", "简历", "从业经历", "occupation",
                    "profession", "work experience", "resume", "curriculum vitae", ("cv", W)]),
]  # fmt: skip


def seed_rows() -> list[dict]:
    """The seed terms as ``ScreenTerm`` field values (category, term, mode, action)."""
    rows = []
    for category, terms in SEED_TERMS:
        for entry in terms:
            term, mode, action = (entry, TermMode.AUTO, R) if isinstance(entry, str) else (*entry, R)[:3]
            rows.append({"category": str(category), "term": term, "mode": str(mode), "action": str(action)})
    return rows
