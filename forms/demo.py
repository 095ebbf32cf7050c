"""Demo content: one live campaign page per purpose under a campaigns index."""

from django.core.files.base import ContentFile
from django.db import transaction
from wagtail.documents import get_document_model
from wagtail.models import WorkflowPage

from . import catalogue
from .choices import RowKind
from .downloads import document_is_private, downloads_collection
from .models import CampaignFormField, CampaignFormPage, CampaignIndexPage, Purpose
from .workflow import privacy_review_workflow

INDEX_SLUG = "campaigns"
DOCUMENT_TITLE = "ZStack Cloud 产品白皮书"
DOCUMENT_FILENAME = "zstack-cloud-whitepaper.txt"
DOCUMENT_TEXT = (
    "ZStack Cloud 产品白皮书（演示版）\n\n"
    "本文件介绍 ZStack Cloud 私有云平台的架构、部署方式与典型场景，仅供演示使用。\n"
)

# code -> (slug, title, intro, thank-you text, extra questions)
CAMPAIGNS = {
    "registration": (
        "partner-registration",
        "个人注册 / 合作伙伴注册",
        "注册成为 ZStack 用户或合作伙伴，获取产品资讯、技术支持与渠道政策。",
        "注册申请已提交，我们会在 3 个工作日内联系您。",
        [("您希望成为哪类伙伴", "radio", "个人用户\n渠道合作伙伴\n技术合作伙伴")],
    ),
    "download": (
        "download-whitepaper",
        "下载 ZStack Cloud 产品白皮书",
        "填写信息并验证手机号后，下载链接将发送至您的邮箱，7 天内有效。",
        "提交成功！下载链接已发送至您的邮箱，请在 7 天内下载。",
        [],
    ),
    "consultation": (
        "private-cloud-consultation",
        "私有云方案规划咨询",
        "告诉我们您的业务场景，ZStack 解决方案专家将为您规划私有云建设方案。",
        "咨询申请已收到，解决方案专家将尽快与您联系。",
        [
            ("所在行业", "dropdown", "金融\n制造\n教育\n医疗\n政府\n其他"),
            ("预计服务器规模", "radio", "10 台以下\n10–50 台\n50 台以上"),
        ],
    ),
    "survey": (
        "user-survey-2026",
        "ZStack 用户调研问卷",
        "感谢您参与 2026 年度用户调研，您的反馈将帮助我们改进产品。",
        "感谢您的参与！",
        [
            ("您目前使用的 ZStack 产品", "checkboxes", "ZStack Cloud\nZStack Cube 超融合\nZStack Zaku 容器"),
            ("整体满意度", "radio", "非常满意\n满意\n一般\n不满意"),
            ("您对产品的建议", "multiline", ""),
        ],
    ),
    "event": (
        "roadshow-2026",
        "2026 ZStack 全国渠道巡展报名",
        "全国渠道巡展即将走进多座城市，现场分享云计算最新实践，欢迎报名参会。",
        "报名成功！会前我们将与您确认参会信息。",
        [("是否参加晚宴交流", "radio", "参加\n不参加")],
    ),
    "training": (
        "zcca-training",
        "ZStack 认证培训课程报名（ZCCA）",
        "ZStack 认证云计算工程师课程，理论与实操结合，考试通过后颁发认证证书。",
        "报名成功！课程顾问将与您确认开班时间。",
        [],
    ),
    "compatibility": (
        "compatibility-certification",
        "产品兼容性认证申请",
        "硬件与软件厂商可申请与 ZStack 产品的兼容性互认证，通过后我们将邮寄认证证书。",
        "申请已提交，认证团队将与您联系测试安排。",
        [("申请认证的产品类别", "dropdown", "服务器\n存储\n网络设备\n操作系统\n数据库\n其他")],
    ),
    "recruitment_account": (
        "careers-account",
        "招聘网站注册",
        "使用手机号注册招聘网站账号，查看职位并投递简历。",
        "注册成功，欢迎加入我们的人才库。",
        [],
    ),
    "job_application": (
        "apply-cloud-engineer",
        "申请职位：云平台研发工程师",
        "负责 ZStack 云平台核心模块的设计与开发。不满 14 周岁者请勿投递；未满 18 周岁需取得监护人同意。",
        "简历已收到，HR 将在 5 个工作日内与您联系。",
        [("期望工作城市", "dropdown", "上海\n北京\n杭州\n深圳")],
    ),
    "trial": (
        "free-trial",
        "申请试用 ZStack Cloud（含高级功能）",
        "申请 30 天免费试用，体验 ZStack Cloud 全部功能，包括高级功能板块。",
        "试用申请已提交，我们会尽快发送试用授权。",
        [("希望试用的功能", "checkboxes", "基础云平台\n灾备服务\n裸金属\nGPU 虚拟化")],
    ),
    "partner_upgrade": (
        "upgrade-to-partner",
        "个人用户升级为合作伙伴",
        "已注册的个人用户可申请升级为 ZStack 合作伙伴。身份证号码仅用于资质审核，加密保存。",
        "申请已提交，渠道经理将审核您的资料并与您联系。",
        [],
    ),
}

CITIES = "北京\n上海\n广州\n深圳\n成都\n武汉"


def _rows(purpose: Purpose, questions) -> list[CampaignFormField]:
    rows = []
    for allowed in purpose.fields.all():
        optional = not allowed.required or allowed.field_key in catalogue.ALWAYS_OPTIONAL_KEYS
        rows.append(
            CampaignFormField(kind=RowKind.PERSONAL, field_key=allowed.field_key, required=not optional)
        )
    for label, field_type, choices in questions:
        rows.append(
            CampaignFormField(
                kind=RowKind.QUESTION, label=label, field_type=field_type, choices=choices, required=False
            )
        )
    return rows


def _demo_document():
    """The white paper, in the private downloads collection (also when an earlier run left it public)."""
    Document = get_document_model()
    collection = downloads_collection()
    document = Document.objects.filter(title=DOCUMENT_TITLE).first()
    if document is None:
        document = Document(title=DOCUMENT_TITLE, collection=collection)
        document.file.save(DOCUMENT_FILENAME, ContentFile(DOCUMENT_TEXT.encode("utf-8")), save=False)
        document.save()
    elif not document_is_private(document):
        document.collection = collection
        document.save(update_fields=["collection"])
    return document


def _index(parent) -> CampaignIndexPage:
    index = CampaignIndexPage.objects.child_of(parent).first()
    if index is None:
        index = CampaignIndexPage(
            title="市场活动", slug=INDEX_SLUG, intro="<p>报名活动、下载资料、申请试用与合作。</p>"
        )
        parent.add_child(instance=index)
        index.save_revision().publish()
    # Shown in Settings → Workflows as the campaigns section's workflow (campaign pages name it
    # themselves wherever they sit).
    WorkflowPage.objects.update_or_create(page=index, defaults={"workflow": privacy_review_workflow()})
    return index


@transaction.atomic
def create_demo_campaigns(*, parent) -> list[CampaignFormPage]:
    """One live campaign page per purpose under a campaigns index below ``parent``.

    Safe to run repeatedly: existing pages (by slug) are left as they are.
    """
    index = _index(parent)
    pages = []
    for purpose in Purpose.objects.prefetch_related("fields").order_by("pk"):
        spec = CAMPAIGNS.get(purpose.code)
        if spec is None:
            continue
        slug, title, intro, thanks, questions = spec
        page = CampaignFormPage.objects.child_of(index).filter(slug=slug).first()
        if page is None:
            page = CampaignFormPage(
                title=title,
                slug=slug,
                purpose=purpose,
                intro=f"<p>{intro}</p>",
                thank_you_text=f"<p>{thanks}</p>",
                cities=CITIES if "intended_city" in purpose.allowed_field_keys() else "",
                download_document=_demo_document() if purpose.code == "download" else None,
                form_fields=_rows(purpose, questions),
            )
            index.add_child(instance=page)
            page.save_revision().publish()
        pages.append(page)
    return pages
