"""The admin reads in Vietnamese: Django's own catalogue, and locale/vi for what Django and the libraries lack
("Skip to main content", "Toggle theme", "Access attempts", "Password-based authentication", the calendar).

locale/vi/LC_MESSAGES holds the .po files and the compiled .mo files Django reads; the .mo must say what the
.po says (after editing a .po: `cd locale/vi/LC_MESSAGES && msgfmt -o django.mo django.po`, and the same for
djangojs).
"""

import gettext
import re
from html import unescape
from pathlib import Path

import pytest

LOCALE = Path(__file__).resolve().parents[1] / "locale" / "vi" / "LC_MESSAGES"
ENGLISH = [
    "Skip to main content",
    "Toggle theme",
    "Access attempts",
    "Access logs",
    "Access failures",
    "Password-based authentication",
    "Raw passwords are not stored",
    "If disabled, the current password",
    "After you’ve created a user",
    "Show counts",
    "Select all objects on this page",
    'alt="Search"',
    "This importer will import",
    "File to import",
    ">Import<",
    ">Export<",
    ">Axes<",
    ">Django_Rq<",
]


def test_the_admin_pages_staff_use_have_no_english_left(superuser_client, superuser):
    client, user = superuser_client, superuser
    pages = [
        "/quan-tri/",
        "/quan-tri/auth/user/",
        "/quan-tri/auth/user/add/",
        f"/quan-tri/auth/user/{user.pk}/change/",
        f"/quan-tri/auth/user/{user.pk}/password/",
        "/quan-tri/axes/accessattempt/",
        "/quan-tri/units/block/",
        "/quan-tri/units/block/import/",
    ]
    found = {}
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        html = unescape(response.content.decode())
        found[page] = [words for words in ENGLISH if words in html]
    assert not any(found.values()), found
    index = unescape(client.get("/quan-tri/").content.decode())
    assert "Bỏ qua, đến nội dung chính" in index and "Các lần thử đăng nhập" in index
    assert "Đăng nhập và khóa tài khoản" in index and "Hàng đợi việc chạy nền" in index


def test_the_admins_scripts_speak_vietnamese(superuser_client):
    client = superuser_client
    catalog = client.get("/quan-tri/jsi18n/").content.decode()
    assert '"Sunday": "Ch\\u1ee7 nh\\u1eadt"' in catalog or '"Sunday": "Chủ nhật"' in catalog
    assert "Remove all %s" in catalog  # translated in locale/vi/LC_MESSAGES/djangojs.po


@pytest.mark.parametrize("domain", ["django", "djangojs"])
def test_each_compiled_catalogue_says_what_its_po_file_says(domain):
    po = (LOCALE / f"{domain}.po").read_text(encoding="utf-8")
    with open(LOCALE / f"{domain}.mo", "rb") as compiled:
        catalog = gettext.GNUTranslations(compiled)._catalog
    entries = [block for block in re.split(r"\n\s*\n", po) if re.search(r'^msgid "(?!")', block, re.M)]
    assert len(catalog) - 1 == len(entries), "the .mo is older than the .po: run msgfmt (see this module's docstring)"
    for block in entries:
        msgid = "".join(re.findall(r'"(.*)"', re.search(r'^msgid ((?:".*"\n?)+)', block + "\n", re.M).group(1)))
        msgid = msgid.encode().decode("unicode_escape").encode("latin-1").decode()
        context = re.search(r'^msgctxt "(.*)"', block, re.M)
        key = f"{context.group(1)}\x04{msgid}" if context else msgid
        assert key in catalog or (key, 0) in catalog, msgid


def test_a_refused_admin_form_says_what_to_do_in_vietnamese(superuser_client):
    # Django's admin asks for a plural form of this sentence, which its Vietnamese catalogue has only as two singulars.
    response = superuser_client.post("/quan-tri/units/block/add/", {})
    html = unescape(response.content.decode())
    assert response.status_code == 200 and 'class="errornote"' in html
    assert "Please correct the error" not in html
    assert "Hãy sửa lỗi được đánh dấu dưới đây." in html
