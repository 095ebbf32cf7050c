"""Valid answers for the scale suite's campaign page."""

from forms import services

VALID = {
    "name": "李雷",
    "company": "示例科技有限公司",
    "mobile": "13812345678",
    "mailing_address": "上海市浦东新区示例路 1 号",
}


def valid_data(page, **overrides) -> dict:
    """The required personal fields plus the page's required question, by its generated name."""
    fields = services.form_definition(page)["fields"]
    category = next(f["name"] for f in fields if f["label"] == "Product category")
    return {**VALID, category: "存储", **overrides}
