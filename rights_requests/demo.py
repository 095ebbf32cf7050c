"""Demo content for the rights-request page (loaded by ``manage.py load_demo_site``)."""

from .models import RightsRequestPage

SLUG = "privacy-rights"


def create_demo_rights_pages(*, parent) -> list[RightsRequestPage]:
    """Create the live rights-request page under ``parent`` once; later runs change nothing."""
    page = RightsRequestPage.objects.first()
    if page is None:
        page = RightsRequestPage(
            title="行使个人信息权利",
            slug=SLUG,
            intro=(
                "<p>根据《隐私政策》第六条，您可以查阅、复制、转移、更正或补充您的个人信息，"
                "撤回或改变同意，删除个人信息或注销账号，也可以提出投诉。我们会先通过短信验证码"
                "核验您的身份，并在 15 天内答复。</p>"
            ),
            thank_you_text="<p>我们已受理您的请求。请保存下方的查询链接，随时查看处理进度和答复。</p>",
        )
        parent.add_child(instance=page)
        page.save_revision().publish()
    return [page]
