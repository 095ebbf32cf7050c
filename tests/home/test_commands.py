from io import StringIO

import polib
import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from core.management.commands.compile_translations import compile_catalogues


@pytest.mark.django_db
def test_dev_admin_gets_a_random_password_once(settings):
    settings.DEBUG = True
    out = StringIO()
    call_command("ensure_dev_admin", stdout=out)
    text = out.getvalue()
    password = text.rsplit("password: ", 1)[1].strip()
    user = get_user_model().objects.get(username="admin")
    assert user.is_superuser and user.check_password(password)
    out2 = StringIO()
    call_command("ensure_dev_admin", stdout=out2)
    assert "password:" not in out2.getvalue()
    assert user.check_password(password)  # unchanged

    other = StringIO()
    call_command("ensure_dev_admin", "--username", "second", stdout=other)
    assert other.getvalue().rsplit("password: ", 1)[1].strip() != password

    # The hint names where `make run` serves, when told.
    served = StringIO()
    call_command("ensure_dev_admin", "--base-url", "http://127.0.0.1:8123/", stdout=served)
    assert "http://127.0.0.1:8123/admin/" in served.getvalue()


@pytest.mark.django_db
def test_dev_admin_refuses_outside_development(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("ensure_dev_admin")


def test_translations_compile(tmp_path):

    po_dir = tmp_path / "xx" / "LC_MESSAGES"
    po_dir.mkdir(parents=True)
    po = polib.POFile()
    po.metadata = {"Content-Type": "text/plain; charset=UTF-8"}
    po.append(polib.POEntry(msgid="Send code", msgstr="获取验证码"))
    po.save(str(po_dir / "django.po"))
    written = compile_catalogues([tmp_path])
    assert written == [po_dir / "django.mo"]
    assert polib.mofile(str(written[0])).find("Send code").msgstr == "获取验证码"
    assert compile_catalogues([tmp_path]) == []  # up to date: nothing rewritten
