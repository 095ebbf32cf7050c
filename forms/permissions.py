"""Who sees which campaign submissions, by permission alone (no query): the admin forms, the
selectors and the reports ask the same questions here."""

SENSITIVE_PERMISSION = "forms.view_sensitive_submissions"
ALL_CAMPAIGNS_PERMISSION = "forms.view_all_campaign_submissions"


def sees_sensitive_submissions(user) -> bool:
    return bool(user.is_active and user.has_perm(SENSITIVE_PERMISSION))


def sees_every_campaign(user) -> bool:
    return bool(
        user.is_active and (user.has_perm(ALL_CAMPAIGNS_PERMISSION) or sees_sensitive_submissions(user))
    )
