"""Submitting a page as a browser does: every input the page rendered, checkbox semantics, the pressed button.

Tests that post hand-built partial forms hide what a real page sends (a field the page draws but the service
refuses; a checkbox the browser leaves out when unticked). `submit_page` reads the rendered form instead:

    response = submit_page(client, url, {"12-self_points": "2,5", "12-not_applicable": True}, button="save")

- every `<input>`, `<textarea>` and `<select>` of the form is sent with the value the page gave it, as a browser
  would: a checkbox or radio only when checked, a select's selected option (or its first), no disabled field, no
  file;
- `changes` sets what the person types or ticks (a checkbox: True ticks it, False unticks it); a name the form does
  not have is an error, so a test cannot send what no page shows;
- `button` is the pressed submit button, by its value (or its name); only that button is sent, with its formaction
  if it has one. Without a button the form is sent as pressing Enter would (no button value).
"""

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin

TEXT_INPUTS = {"text", "hidden", "number", "date", "datetime-local", "email", "url", "search", "password", "tel", ""}


@dataclass
class Control:
    tag: str
    type: str
    name: str
    value: str
    checked: bool = False
    disabled: bool = False
    formaction: str | None = None
    options: list[tuple[str, bool]] = field(default_factory=list)  # a select's (value, selected)
    multiple: bool = False


@dataclass
class Form:
    attrs: dict
    controls: list[Control] = field(default_factory=list)

    @property
    def names(self) -> set[str]:
        return {c.name for c in self.controls if c.name}


class _Parser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._open: Control | None = None  # a textarea or option being read
        self._select: Control | None = None
        self._option_value: str | None = None
        self._option_selected = False

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self._form = Form(a)
            self.forms.append(self._form)
            return
        owner = self._owner(a)
        if owner is None:
            return
        if tag == "input":
            kind = a.get("type", "text").lower()
            default = "on" if kind in ("checkbox", "radio") else ""
            owner.controls.append(
                Control(
                    "input",
                    kind,
                    a.get("name", ""),
                    a.get("value", default),
                    "checked" in a,
                    "disabled" in a,
                    a.get("formaction"),
                )
            )
        elif tag == "button":
            kind = a.get("type", "submit").lower()
            owner.controls.append(
                Control(
                    "button",
                    kind,
                    a.get("name", ""),
                    a.get("value", ""),
                    disabled="disabled" in a,
                    formaction=a.get("formaction"),
                )
            )
        elif tag == "textarea":
            self._open = Control("textarea", "textarea", a.get("name", ""), "", disabled="disabled" in a)
            owner.controls.append(self._open)
        elif tag == "select":
            self._select = Control(
                "select", "select", a.get("name", ""), "", disabled="disabled" in a, multiple="multiple" in a
            )
            owner.controls.append(self._select)
        elif tag == "option" and self._select is not None:
            self._option_value, self._option_selected = a.get("value"), "selected" in a
            self._option_text = ""

    def _owner(self, attrs) -> Form | None:
        if "form" in attrs:
            return next((f for f in self.forms if f.attrs.get("id") == attrs["form"]), None)
        return self._form

    def handle_data(self, data):
        if self._open is not None:
            self._open.value += data
        elif self._select is not None and self._option_value is None and hasattr(self, "_option_text"):
            self._option_text += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "textarea":
            if self._open is not None and self._open.value.startswith("\n"):
                self._open.value = self._open.value[1:]  # the HTML parser keeps the newline after <textarea>
            self._open = None
        elif tag == "option" and self._select is not None:
            value = self._option_value if self._option_value is not None else getattr(self, "_option_text", "").strip()
            self._select.options.append((value, self._option_selected))
            self._option_value = None
        elif tag == "select":
            self._select = None


def forms_of(html: str) -> list[Form]:
    parser = _Parser()
    parser.feed(html)
    return parser.forms


def _pick_form(forms: list[Form], form_id: str | None, button: str | None) -> Form:
    if form_id:
        found = [f for f in forms if f.attrs.get("id") == form_id]
        assert found, f"the page has no form with id {form_id!r}"
        return found[0]
    posts = [f for f in forms if f.attrs.get("method", "get").lower() == "post"]
    if button is not None:
        posts = [f for f in posts if any(_is_button(c, button) for c in f.controls)]
        assert posts, f"no form of the page has a button {button!r}"
    assert posts, "the page has no form that posts"
    return max(posts, key=lambda f: len(f.controls))


def _is_button(control: Control, button: str) -> bool:
    return (
        control.type == "submit"
        and control.tag in ("button", "input")
        and not control.disabled
        and button in (control.value, control.name)
    )


def form_data(
    form: Form, changes: dict | None = None, button: str | None = None
) -> tuple[list[tuple[str, str]], str | None]:
    """The (name, value) pairs a browser would send for this form, and the button's formaction if any."""
    changes = dict(changes or {})
    unknown = set(changes) - form.names
    assert not unknown, f"the form has no field {sorted(unknown)}: a browser cannot send it"
    data, action = [], None
    for control in form.controls:
        if not control.name and control.tag != "button":
            continue
        if control.disabled or control.type == "file":
            continue
        if control.tag == "button" or control.type in ("submit", "image", "reset", "button"):
            if button is not None and _is_button(control, button) and action is None:
                if control.name:
                    data.append((control.name, control.value))
                action = control.formaction or ""
            continue
        if control.type in ("checkbox", "radio"):
            checked = control.checked
            if control.name in changes:
                wanted = changes[control.name]
                checked = wanted if isinstance(wanted, bool) else wanted == control.value
            if checked:
                data.append((control.name, control.value))
            continue
        value = control.value
        if control.tag == "select":
            selected = [v for v, chosen in control.options if chosen]
            if control.name in changes:
                selected = (
                    [changes[control.name]] if not isinstance(changes[control.name], list) else changes[control.name]
                )
            elif not selected and control.options and not control.multiple:
                selected = [control.options[0][0]]
            data.extend((control.name, v) for v in selected)
            continue
        if control.name in changes:
            value = changes[control.name]
        data.append((control.name, "" if value is None else str(value)))
    if button is not None:
        assert action is not None, f"the form has no enabled button {button!r}"
    return data, action or None


def load_form(client, url: str, *, form: str | None = None, button: str | None = None, page=None) -> Form:
    """The form of the page at `url` as it was drawn now (to post later, as an older tab does)."""
    page = page if page is not None else client.get(url)
    assert page.status_code == 200, f"GET {url} answered {page.status_code}"
    chosen = _pick_form(forms_of(page.content.decode()), form, button)
    chosen.attrs.setdefault("_url", url)
    return chosen


def post_form(client, loaded: Form, changes: dict | None = None, *, button: str | None = None, follow: bool = False):
    """Fill in `changes` on a form loaded earlier, press `button` and POST it."""
    url = loaded.attrs["_url"]
    data, formaction = form_data(loaded, changes, button)
    target = urljoin(url, formaction or loaded.attrs.get("action") or url)
    grouped: dict[str, list[str]] = {}
    for name, value in data:
        grouped.setdefault(name, []).append(value)
    return client.post(target, grouped, follow=follow)


def submit_page(
    client,
    url: str,
    changes: dict | None = None,
    *,
    button: str | None = None,
    form: str | None = None,
    page=None,
    follow: bool = False,
):
    """GET `url` (or use the `page` response already fetched), fill in `changes`, press `button`, POST it."""
    loaded = load_form(client, url, form=form, button=button, page=page)
    return post_form(client, loaded, changes, button=button, follow=follow)


# --- Reading tables off a page, as a person reads them -------------------------------------------------------


@dataclass
class Table:
    """A table of a page: its caption, its classes and the text of every row's cells (header rows included)."""

    caption: str = ""
    classes: str = ""
    id: str = ""
    rows: list[list[str]] = field(default_factory=list)

    def column(self, header: str) -> int:
        return next(i for i, cell in enumerate(self.rows[0]) if cell.startswith(header))

    def body(self) -> list[list[str]]:
        return self.rows[1:]


class _TableParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tables: list[Table] = []
        self._stack: list[Table] = []
        self._cell: list[str] | None = None
        self._in_caption = False
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table":
            table = Table(classes=a.get("class") or "", id=a.get("id") or "")
            self.tables.append(table)
            self._stack.append(table)
        elif not self._stack:
            return
        elif tag == "tr":
            self._stack[-1].rows.append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "caption":
            self._in_caption = True
        elif tag == "br" and self._cell is not None:
            self._cell.append(" ")

    def handle_endtag(self, tag):
        if tag == "table" and self._stack:
            self._stack.pop()
        elif tag in ("td", "th") and self._cell is not None and self._stack and self._stack[-1].rows:
            self._stack[-1].rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "caption":
            self._in_caption = False

    def handle_data(self, data):
        if self._in_caption and self._stack:
            self._stack[-1].caption += data
        elif self._cell is not None:
            self._cell.append(data)


def tables_of(html: str) -> list[Table]:
    parser = _TableParser()
    parser.feed(html)
    for table in parser.tables:
        table.caption = " ".join(table.caption.split())
    return parser.tables


def table_with(html: str, caption: str) -> Table:
    """The first table whose caption holds `caption` (or whose classes or id do)."""
    for table in tables_of(html):
        if caption in table.caption or caption in table.classes.split() or caption == table.id:
            return table
    raise AssertionError(f"no table {caption!r} on the page")
