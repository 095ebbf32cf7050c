"""Seed the purpose whitelist from the privacy policy of 2023-03-07, §1 (POLICY-MAP §1)."""

from django.db import migrations

# (code, clause, name_zh, name_en, sms_required, retention_days, [(field_key, may_be_required)])
PURPOSES = [
    (
        "registration", "§1.1", "个人注册/合作伙伴注册", "Personal or partner registration", True, 1095,
        ["name", "company", "position", "email", "mobile", "contact_name"],
    ),
    ("download", "§1.2", "下载申请", "Download request", True, 730, ["name", "company", "email", "mobile"]),
    (
        "consultation", "§1.3", "私有云方案规划咨询申请", "Private cloud planning consultation", True, 730,
        ["name", "company", "email", "mobile"],
    ),
    ("survey", "§1.4", "ZStack 调研问卷", "ZStack survey", True, 365, ["name", "company", "email", "mobile"]),
    (
        "event", "§1.5", "全国渠道巡展等活动报名", "Roadshow and event registration", True, 365,
        ["name", "company", "email", "mobile", "intended_city"],
    ),
    (
        "training", "§1.6", "认证培训课程报名", "Certified training course registration", True, 730,
        ["name", "company", "position", "email", "mobile", "city", "cooperation_intention"],
    ),
    (
        "compatibility", "§1.7", "产品兼容性认证申请", "Product compatibility certification", False, 1095,
        ["name", "company", "mobile", "mailing_address"],
    ),
    ("recruitment_account", "§1.8", "招聘网站注册登录", "Recruitment site account", True, 730, ["mobile"]),
    (
        "job_application", "§1.8", "申请职位", "Job application", True, 365,
        ["name", "gender", "birth_date", "email", "mobile", "education", "residence", ("other_info", False)],
    ),
    ("trial", "§1.9", "申请试用（含高级功能）", "Product trial (including advanced features)", True, 730,
     ["name", "company", "email", "mobile"]),
    (
        "partner_upgrade", "§1.10", "个人用户升级为合作伙伴", "Upgrade from personal user to partner", False, 1095,
        [
            "name", "name_pinyin", "qq_wechat", "mobile", "email", "id_card_number", "referrer",
            "referral_source", "company", "position",
        ],
    ),
]  # fmt: skip


def seed(apps, schema_editor):
    Purpose = apps.get_model("forms", "Purpose")
    PurposeField = apps.get_model("forms", "PurposeField")
    for code, clause, name_zh, name_en, sms, retention, fields in PURPOSES:
        purpose, _created = Purpose.objects.update_or_create(
            code=code,
            defaults={
                "clause": clause,
                "name_zh": name_zh,
                "name_en": name_en,
                "sms_required": sms,
                "retention_days": retention,
            },
        )
        for order, spec in enumerate(fields):
            key, may_be_required = spec if isinstance(spec, tuple) else (spec, True)
            PurposeField.objects.update_or_create(
                purpose=purpose, field_key=key, defaults={"required": may_be_required, "sort_order": order}
            )


def unseed(apps, schema_editor):
    Purpose = apps.get_model("forms", "Purpose")
    Purpose.objects.filter(code__in=[p[0] for p in PURPOSES], pages__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("forms", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
